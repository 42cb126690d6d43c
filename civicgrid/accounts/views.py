"""Login and logout, the per-role home page, "my account" and user pages.

The home page lives here rather than in core: it knows roles and reads geo and orgs,
and core imports no app (docs/architecture.md)."""

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from civicgrid.core.choices import Action, Role
from civicgrid.core.querysets import user_scope
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area, Building
from civicgrid.orgs.models import Unit

from .forms import LoginForm
from .models import Membership, User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link or an image tag cannot log anyone out."""


# What each kind of area counts on a landing page: (label, queryset maker, field linking to the area).
def _count_specs(kind: str) -> list[tuple[Any, Any, str]]:
    if kind == AreaKind.STREET:
        return [
            (
                _("居民区"),
                lambda u: Area.objects.restrict(u, Action.VIEW).filter(kind=AreaKind.RESIDENTIAL),
                "street",
            ),
            (_("网格"), lambda u: Area.objects.restrict(u, Action.VIEW).filter(kind=AreaKind.GRID), "street"),
            (_("楼栋"), lambda u: Building.objects.restrict(u, Action.VIEW), "street"),
            (_("处置单位"), lambda u: Unit.objects.restrict(u, Action.VIEW), "street"),
        ]
    if kind == AreaKind.RESIDENTIAL:
        return [
            (_("网格"), lambda u: Area.objects.restrict(u, Action.VIEW).filter(kind=AreaKind.GRID), "parent"),
            (_("楼栋"), lambda u: Building.objects.restrict(u, Action.VIEW), "residential_area"),
        ]
    if kind == AreaKind.GRID:
        return [(_("楼栋"), lambda u: Building.objects.restrict(u, Action.VIEW), "grid")]
    return []


def _summaries(user: Any, areas: list[Area]) -> list[dict[str, Any]]:
    """Each area with its counts; one grouped query per count, however many areas."""
    out = []
    by_kind: dict[str, list[Area]] = {}
    for area in areas:
        by_kind.setdefault(area.kind, []).append(area)
    counts: dict[tuple[str, int], list[tuple[Any, int]]] = {}
    for kind, group in by_kind.items():
        ids = [a.pk for a in group]
        for label, make_qs, key in _count_specs(kind):
            qs: QuerySet = make_qs(user).filter(**{f"{key}__in": ids}).order_by()
            found = dict(qs.values_list(key).annotate(n=Count("pk")).values_list(key, "n"))
            for area_id in ids:
                counts.setdefault((kind, area_id), []).append((label, found.get(area_id, 0)))
    for area in areas:
        out.append({"area": area, "stats": counts.get((area.kind, area.pk), [])})
    return out


def _my_areas(user: Any, kind: str) -> list[Area]:
    """The areas of one kind the user is bound to, else every one of that kind they may see."""
    visible = Area.objects.restrict(user, Action.VIEW).filter(kind=kind).select_related("parent")
    mine = list(visible.filter(memberships__user=user.pk).distinct())
    return mine or list(visible)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = user_scope(user)
    role = scope.role if scope is not None else Role.RESIDENT
    context: dict[str, Any] = {"role": role, "role_label": Role(role).label if role in Role.values else role}
    if role in (Role.ADMIN, Role.DISPATCHER, Role.LEADER):
        context["summaries"] = _summaries(user, _my_areas(user, AreaKind.STREET))
        context["heading"] = _("我的街道")
    elif role == Role.CADRE:
        context["summaries"] = _summaries(user, _my_areas(user, AreaKind.RESIDENTIAL))
        context["heading"] = _("我的居民区")
    elif role == Role.GRID_WORKER:
        context["summaries"] = _summaries(user, _my_areas(user, AreaKind.GRID))
        context["heading"] = _("我的网格")
    elif role == Role.HANDLER:
        context["units"] = list(
            Unit.objects.restrict(user, Action.VIEW)
            .filter(memberships__user=user.pk)
            .distinct()
            .prefetch_related(
                Prefetch("jurisdiction", queryset=Area.objects.restrict(user, Action.VIEW).order_by("code"))
            )
        )
        context["heading"] = _("我的单位")
    return render(request, "accounts/home.html", context)


@login_required
def me(request: HttpRequest) -> HttpResponse:
    # One's own memberships are one's own business: no scope needed to read them.
    memberships = Membership.objects.filter(user=request.user.pk).select_related("area", "unit")
    return render(request, "accounts/me.html", {"account": request.user, "memberships": memberships})


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(User.objects.restrict(request.user, Action.VIEW), pk=pk)
    memberships = (
        Membership.objects.restrict(request.user, Action.VIEW)
        .filter(user=account)
        .select_related("area", "unit")
    )
    return render(request, "accounts/user_detail.html", {"account": account, "memberships": memberships})
