"""The source-governance plan pages: the list (filters, overdue at a glance, the Excel export
of the same rows), the form that makes a plan from a hotspot link, and a plan (its hotspot,
owner, measures, deadline, linked cases, timeline, action forms and the before/after chart).
Thin: parse, call one action, render; every query through restrict()."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.cases.models import Case
from civicgrid.core import action_views, clock
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError, InvalidInput
from civicgrid.core.models import Attachment, Event
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .. import plan_jobs
from ..actions.frames import PLAN_FRAME
from ..actions.plans import LINK_DAYS, MAKE, OVERDUE, make_plan
from ..choices import HotspotKind
from ..hotspots import clean_params, hotspot_cases, workbench_link
from ..models import GovernancePlan
from ..plan_chart import before_after, shows_hotspot
from ..plan_filters import PlanFilterSet, overdue_q
from ..workflow import DEADLINE, MANAGE, MEASURES, OWNER, OWNER_UNIT, PLANS

PLANS_PER_PAGE = 50
VIEW = "insights.plans.view"


def _plan(request: HttpRequest, pk: int) -> GovernancePlan:
    require(request.user, VIEW)
    qs = GovernancePlan.objects.restrict(request.user, Action.VIEW).select_related(
        "street", "owner_unit", "owner", "created_by"
    )
    return get_object_or_404(qs, pk=pk)


def _streets(user: Any) -> Any:
    return Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW)
    visible = GovernancePlan.objects.restrict(request.user, Action.VIEW)
    filterset = PlanFilterSet(request.GET or None, visible, user=request.user)
    try:
        plans = filterset.checked()
    except InvalidInput:
        plans = visible.none()  # the form shows each bad field
    listing = (
        plans.select_related("street", "owner_unit", "owner")
        .annotate(linked=Count("cases"))
        .order_by("status", "deadline", "pk")
    )
    page = Paginator(listing, PLANS_PER_PAGE).get_page(request.GET.get("page"))
    overdue = set(
        GovernancePlan.objects.restrict(request.user, Action.VIEW)
        .filter(overdue_q(), pk__in=[p.pk for p in page.object_list])
        .values_list("pk", flat=True)
    )
    context = {
        "filter": filterset,
        "page": page,
        "plans": [(p, p.pk in overdue) for p in page.object_list],
        "query": request.GET.urlencode(),
        "may_make": may(request.user, MANAGE),
    }
    return render(request, "insights/plan_list.html", context)


class PlanForm(forms.Form):
    """The plan's own fields (the machine's parameters, so the form and the API check alike),
    the hotspot it answers (hidden, from the link) or, without one, a small choice of cases."""

    kind = forms.ChoiceField(choices=HotspotKind.choices, widget=forms.HiddenInput, initial=HotspotKind.OTHER)
    params = forms.CharField(widget=forms.HiddenInput, required=False)
    # lint: allow-unrestricted (no rows: __init__ sets the reader's streets)
    street = forms.ModelChoiceField(label=gettext_lazy("街道"), queryset=Area.objects.none())
    label = forms.CharField(label=gettext_lazy("问题点"), max_length=200)
    title = forms.CharField(label=gettext_lazy("方案名称"), max_length=100)
    # "Other" hotspots: the cases of a category in a grid, or at an address.
    category = forms.CharField(label=gettext_lazy("问题分类编码"), required=False, max_length=20)
    grid = forms.CharField(label=gettext_lazy("网格编码"), required=False, max_length=40)
    address = forms.CharField(label=gettext_lazy("地址（完全一致）"), required=False, max_length=200)
    case_numbers = forms.CharField(
        label=gettext_lazy("另外关联的工单编号"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("一行或逗号分隔多个编号"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        streets = _streets(user)
        self.fields["street"].queryset = streets  # type: ignore[attr-defined]
        if len(streets) == 1:
            self.fields["street"].initial = streets[0].pk
        for param in (OWNER_UNIT, OWNER, MEASURES, DEADLINE):
            self.fields[param.name] = param.form_field(None, user)

    def hotspot_params(self) -> dict[str, str]:
        """The link's parameters, else the ones chosen on the form ("other")."""
        data = self.cleaned_data
        if data.get("params"):
            return clean_params(data["params"])
        chosen = {k: data[k] for k in ("category", "grid", "address") if data.get(k)}
        if not chosen:
            raise InvalidInput(_("请选择问题分类、网格或地址，以确定问题点的工单"), {"category": "required"})
        return clean_params({**chosen, "street": data["street"].code})


@login_required
def plan_new(request: HttpRequest) -> HttpResponse:
    """GET: the form, prefilled from a hotspot link (`kind`, `label`, `params`); POST: the plan."""
    require(request.user, MANAGE)
    initial = {k: request.GET[k] for k in ("kind", "label", "params") if request.GET.get(k)}
    if initial.get("kind") not in HotspotKind.values:
        initial.pop("kind", None)
    if initial.get("label"):
        initial["title"] = _("%(label)s源头治理") % {"label": initial["label"]}
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = make_plan(
                request.user,
                street=data["street"],
                title=data["title"],
                hotspot_kind=data["kind"],
                hotspot_label=data["label"],
                hotspot_params=form.hotspot_params(),
                measures=data["measures"],
                deadline=data["deadline"],
                owner_unit=data.get("owner_unit"),
                owner=data.get("owner"),
                case_numbers=data.get("case_numbers") or "",
            )
        except ActionError as exc:
            # An error of a hidden field (the link's hotspot) is the form's own.
            field = next(iter(getattr(exc, "fields", {}) or {}), None)
            shown = field in form.fields and not form.fields[field].widget.is_hidden
            form.add_error(field if shown else None, exc.message)
        else:
            messages.success(request, _("已制定源头治理方案"))
            return redirect(plan.get_absolute_url())
    hotspot = _hotspot(request.user, form, initial.get("params"))
    return render(request, "insights/plan_new.html", {"form": form, "hotspot": hotspot})


def _hotspot(user: Any, form: PlanForm, raw: Any) -> dict[str, Any] | None:
    """What the link names: its cases of the last 90 days (the ones the plan will link) and
    the list of them; the error when its parameters are bad."""
    raw = form.data.get("params") if form.is_bound else raw
    if not raw:
        return None
    try:
        params = clean_params(raw)
        today = clock.today()
        start = today - timedelta(days=LINK_DAYS - 1)
        count = hotspot_cases(user, params, start, today).count()
    except InvalidInput as exc:
        return {"error": exc.message}
    return {"count": count, "link": workbench_link({**params, "date_from": start, "date_to": today})}


def timeline(user: Any, plan: GovernancePlan) -> list[dict[str, Any]]:
    """The plan's steps from its domain events, oldest first, each with its photos."""
    # lint: allow-unrestricted (the events of the plan _plan() found in the reader's scope)
    rows = Event.objects.filter(app="insights", object_type="governanceplan", object_id=plan.pk).order_by(
        "at", "id"
    )
    photos: dict[int | None, list[Attachment]] = {}
    for p in (
        Attachment.objects.restrict(user, Action.VIEW)
        .filter(content_type=ContentType.objects.get_for_model(GovernancePlan), object_id=plan.pk)
        .order_by("pk")
    ):
        photos.setdefault(p.event_id, []).append(p)
    labels = {MAKE: _("制定方案"), OVERDUE: _("超过完成时限")}
    return [
        {
            "at": e.at,
            "label": labels.get(e.action) or PLANS.label(e.action),
            "actor": e.actor_label or _("系统"),
            "note": e.payload.get("note", ""),
            "added": e.payload.get("added", []),
            "photos": photos.get(e.pk, []),
        }
        for e in rows
    ]


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    chart = before_after(request.user, plan)
    cases = (
        Case.objects.restrict(request.user, Action.VIEW)
        .filter(governance_plans=plan)
        .select_related("category")
        .order_by("-received_at", "-pk")
    )
    context = {
        "plan": plan,
        "overdue": GovernancePlan.objects.restrict(request.user, Action.VIEW)
        .filter(overdue_q(), pk=plan.pk)
        .exists(),
        "hotspot_link": workbench_link(plan.hotspot_params) if shows_hotspot(request.user) else "",
        "cases": cases,
        "steps": timeline(request.user, plan),
        "action_forms": action_views.action_forms(PLAN_FRAME, plan, request.user),
        "chart": chart,
        "chart_data": {
            **chart.as_dict(),
            "labels": {"before": _("实施前"), "after": _("实施后"), "start": _("开始实施")},
        },
    }
    return render(request, "insights/plan_detail.html", context)


@login_required
@require_POST
def plan_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return action_views.post_action(request, PLAN_FRAME, _plan(request, pk), action)


@login_required
@require_POST
def plans_export(request: HttpRequest) -> HttpResponse:
    """POST with the list's filter parameters: the export job, then its page."""
    require(request.user, VIEW)
    try:
        job = plan_jobs.start_export(request.user, request.POST)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("insights:plans")
    return redirect(job.get_absolute_url())


urlpatterns = [
    path("insights/plans/", plan_list, name="plans"),
    path("insights/plans/new/", plan_new, name="plan_new"),
    path("insights/plans/export/", plans_export, name="plans_export"),
    path("insights/plans/<int:pk>/", plan_detail, name="plan"),
    path("insights/plans/<int:pk>/act/<str:action>/", plan_act, name="plan_act"),
]
