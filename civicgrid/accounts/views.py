"""Login and logout, the per-role home page, "my account" and user pages, API tokens and
the integrations (ApiClient) administrators manage.

The home page lives here rather than in core: it knows roles and reads geo and orgs,
and core imports no app (docs/architecture.md)."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import i18n as i18n_views

from civicgrid.core import clock
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action, Role
from civicgrid.core.querysets import user_scope
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area, Building
from civicgrid.orgs.models import Unit

from . import actions, throttle
from .forms import IntegrationForm, IntegrationTokenForm, LoginForm, TokenForm
from .models import ApiClient, ApiToken, Membership, User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        if throttle.was_refused(self.request):
            # One page for every lock: it names no account and no counter.
            cooloff = timedelta(seconds=settings.CIVICGRID_LOGIN_WINDOW)
            return render(self.request, "accounts/locked_out.html", {"cooloff": cooloff}, status=429)
        return super().form_invalid(form)


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
    # A superuser holds every capability: the street-wide home wins over the patrol page.
    if may(user, "accounts.patrol_home") and not may(user, "accounts.street_home"):
        return redirect("cases:mobile")
    scope = user_scope(user)
    role = scope.role if scope is not None else Role.RESIDENT
    context: dict[str, Any] = {"role": role, "role_label": Role(role).label if role in Role.values else role}
    if may(user, "accounts.street_home"):
        context["summaries"] = _summaries(user, _my_areas(user, AreaKind.STREET))
        context["heading"] = _("我的街道")
    elif role == Role.CADRE:
        context["summaries"] = _summaries(user, _my_areas(user, AreaKind.RESIDENTIAL))
        context["heading"] = _("我的居民区")
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
    # lint: allow-unrestricted (one's own memberships are one's own business: no scope needed)
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


# ---------------------------------------------------------------------------- API tokens


def _no_store(response: HttpResponse) -> HttpResponse:
    # The page with a clear token must not stay in any cache (browser back/forward included).
    response["Cache-Control"] = "no-store"
    return response


def _expiry(days: int | None) -> datetime | None:
    return clock.now() + timedelta(days=days) if days else None


def _token_rows(qs: QuerySet[ApiToken]) -> list[ApiToken]:
    return list(qs.select_related("user").order_by("-created_at", "-id"))


def _may_manage_integrations(user: Any) -> bool:
    return bool(ApiClient.objects.allows(user, Action.VIEW))


def _require_token_pages(request: HttpRequest) -> None:
    require(request.user, "accounts.api_tokens")


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    _require_token_pages(request)
    mine = ApiToken.objects.restrict(request.user, Action.VIEW).filter(user=request.user.pk)
    context: dict[str, Any] = {"tokens": _token_rows(mine), "now": clock.now()}
    if _may_manage_integrations(request.user):
        context["integrations"] = list(
            ApiClient.objects.restrict(request.user, Action.VIEW)
            .select_related("service_account")
            .prefetch_related("streets")
            .annotate(
                live_tokens=Count(
                    "service_account__api_tokens",
                    filter=Q(service_account__api_tokens__revoked_at=None),
                )
            )
        )
        context["may_add_integration"] = ApiClient.objects.allows(request.user, Action.ADD)
    return render(request, "accounts/token_list.html", context)


@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    _require_token_pages(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        issued = actions.issue_token(
            request.user,
            request.user,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=_expiry(data["expires_days"]),
        )
        # Rendered, not redirected: the clear token is never stored anywhere, not even in
        # the session; it exists only in this one response.
        back = reverse("accounts:tokens")
        return _no_store(render(request, "accounts/token_created.html", {"issued": issued, "back": back}))
    return render(request, "accounts/token_form.html", {"form": form, "back": reverse("accounts:tokens")})


@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(
        ApiToken.objects.restrict(request.user, Action.CHANGE).select_related("user", "user__api_client"),
        pk=pk,
    )
    client = getattr(token.user, "api_client", None) if token.user.is_service_account else None
    back = client.get_absolute_url() if client else reverse("accounts:tokens")
    if request.method == "POST":
        if token.revoked_at is None:
            actions.revoke_token(request.user, token)
            messages.success(request, _("令牌 %(prefix)s… 已撤销。") % {"prefix": token.prefix})
        return redirect(back)
    return render(request, "accounts/token_revoke.html", {"token": token, "back": back})


# ---------------------------------------------------------------------------- integrations


def _street_choices(user: Any) -> QuerySet[Area]:
    return Area.objects.restrict(user, Action.CHANGE).streets().order_by("code")


@login_required
def integration_create(request: HttpRequest) -> HttpResponse:
    if not ApiClient.objects.allows(request.user, Action.ADD):
        raise Http404
    form = IntegrationForm(request.POST or None, streets=_street_choices(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            client = actions.create_integration(
                request.user,
                name=data["name"],
                description=data["description"],
                streets=data["streets"],
                role=data["role"],
            )
        except ValidationError as exc:  # the name was taken since the form was checked
            form.add_error("name", exc)
        else:
            messages.success(request, _("已创建外部系统接入“%(name)s”。") % {"name": client.name})
            return redirect(client.get_absolute_url())
    return render(request, "accounts/integration_form.html", {"form": form, "client": None})


def _integration(request: HttpRequest, pk: int, action: str) -> ApiClient:
    return get_object_or_404(
        ApiClient.objects.restrict(request.user, action).select_related("service_account"), pk=pk
    )


@login_required
def integration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = _integration(request, pk, Action.VIEW)
    account = client.service_account
    client_tokens = ApiToken.objects.restrict(request.user, Action.VIEW).filter(user=account)
    may_change = ApiClient.objects.restrict(request.user, Action.CHANGE).filter(pk=client.pk).exists()
    context = {
        "client": client,
        "account": account,
        "streets": list(client.streets.order_by("code")),
        "memberships": Membership.objects.restrict(request.user, Action.VIEW)
        .filter(user=account)
        .select_related("area", "unit"),
        "tokens": _token_rows(client_tokens),
        "may_change": may_change,
        "now": clock.now(),
    }
    return render(request, "accounts/integration_detail.html", context)


@login_required
def integration_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = _integration(request, pk, Action.CHANGE)
    initial = {
        "name": client.name,
        "description": client.description,
        "streets": list(client.streets.all()),
        "role": client.service_account.role,
        "active": client.active,
    }
    form = IntegrationForm(
        request.POST or None, initial=initial, streets=_street_choices(request.user), instance=client
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_integration(
                request.user,
                client,
                name=data["name"],
                description=data["description"],
                active=data["active"],
                streets=data["streets"],
                role=data["role"],
            )
        except ValidationError as exc:  # the name was taken since the form was checked
            form.add_error("name", exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect(client.get_absolute_url())
    return render(request, "accounts/integration_form.html", {"form": form, "client": client})


@login_required
def integration_token_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = _integration(request, pk, Action.CHANGE)
    form = IntegrationTokenForm(request.POST or None)
    back = client.get_absolute_url()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        issued = actions.issue_token(
            request.user,
            client.service_account,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=_expiry(data["expires_days"]),
            rate_limit=data["rate_limit"],
        )
        return _no_store(
            render(request, "accounts/token_created.html", {"issued": issued, "back": back, "client": client})
        )
    return render(request, "accounts/token_form.html", {"form": form, "client": client, "back": back})


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in user's choice also becomes the language of their
    e-mails and text messages (User.language)."""
    response = i18n_views.set_language(request)
    chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen is not None and request.user.is_authenticated:
        actions.remember_language(request.user, chosen.value)
    return response
