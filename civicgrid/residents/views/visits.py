"""The visit pages: the due list (待走访), a visit, a household's visits, and the phone form
for recording a visit on the spot (with photo and GPS check-in). Thin: parse, call one action,
render; every query through restrict()."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.core import action_views, capabilities
from civicgrid.core.action_forms import ActionForm
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError, Conflict
from civicgrid.core.models import Attachment

from .. import care, due, jobs
from ..actions import visits as actions
from ..choices import VisitAction, VisitMethod, VisitStatus
from ..models import Household, Visit
from ..workflow import MACHINE

# The due list shows at most this many households; the filter narrows it.
DUE_LIMIT = 300
LOOK_REASON = gettext_lazy("走访名单")


def _household(request: HttpRequest, pk: int) -> Household:
    qs = Household.objects.restrict(request.user, Action.VIEW).select_related("flat__building", "head")
    return get_object_or_404(qs, pk=pk)


def _visible_visit(request: HttpRequest, pk: int) -> Visit:
    qs = Visit.objects.restrict(request.user, Action.VIEW).select_related(
        "household__flat__building", "visitor", "case"
    )
    return get_object_or_404(qs, pk=pk)


def reason_labels(codes: list[str]) -> list[str]:
    """What a visit's reasons say on a page: a sensitive kind only as "has care needs", since
    a visit's page is read by roles that may not see it."""
    labels = dict(due.DueForm.base_fields["care"].choices)  # type: ignore[attr-defined]
    out: list[str] = []
    for code in codes:
        label = str(_("有关爱需求")) if care.is_sensitive(code) else str(labels.get(code, code))
        if label not in out:
            out.append(label)
    return out


@login_required
def due_page(request: HttpRequest) -> HttpResponse:
    """待走访: the households the reader should visit, most overdue first."""
    capabilities.require(request.user, "residents.visits")
    form = due.DueForm(request.GET or None, user=request.user)
    params = form.cleaned_data if form.is_valid() else {}
    rows = due.due_list(request.user, care=params.get("care") or "", overdue=bool(params.get("overdue")))
    shown = rows[:DUE_LIMIT]
    # The sensitive tags a cadre allowed to see them reads here: each look is logged.
    due.log_looks(request.user, shown, reason=str(LOOK_REASON))
    context = {
        "form": form,
        "rows": shown,
        "total": len(rows),
        "overdue_count": sum(1 for r in rows if r.overdue),
        "may_visit": capabilities.may(request.user, "residents.visit"),
        "may_export": capabilities.may(request.user, "residents.export"),
        "query": request.GET.urlencode(),
    }
    return render(request, "residents/due_list.html", context)


@login_required
@require_POST
def due_export(request: HttpRequest) -> HttpResponse:
    """导出待走访名单: the due list under the page's filter (the query string), as a job."""
    capabilities.require(request.user, "residents.export")
    try:
        job = jobs.start_due_export(request.user, request.GET)
    except ActionError as exc:
        return HttpResponse(exc.message, status=exc.http_status, content_type="text/plain; charset=utf-8")
    return redirect(job.get_absolute_url())


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visible_visit(request, pk)
    photos = Attachment.objects.restrict(request.user, Action.VIEW).filter(
        content_type=ContentType.objects.get_for_model(Visit), object_id=visit.pk
    )
    # Recording has its own page (the phone form); the other actions are forms here.
    action_forms = action_views.action_forms(actions.FRAME, visit, request.user, skip=[VisitAction.RECORD])
    context = {
        "visit": visit,
        "reasons": reason_labels(visit.reasons),
        "photos": list(photos),
        "far": actions.is_far(visit),
        "action_forms": action_forms,
        "may_record": visit.status == VisitStatus.PLANNED
        and MACHINE.allows(visit, VisitAction.RECORD, request.user),
    }
    return render(request, "residents/visit_detail.html", context)


@login_required
@require_POST
def visit_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action form's POST (cancel, open a case; record from a page): run it, say what
    happened, back to the visit (PRG)."""
    return action_views.post_action(request, actions.FRAME, _visible_visit(request, pk), action)


class PlanForm(forms.Form):
    planned_for = forms.DateField(
        label=gettext_lazy("计划日期"), widget=forms.DateInput(attrs={"type": "date"})
    )


@login_required
def household_visits(request: HttpRequest, pk: int) -> HttpResponse:
    """A household's visits, newest first, and the form to plan the next one."""
    capabilities.require(request.user, "residents.visits")
    household = _household(request, pk)
    visits = list(
        Visit.objects.restrict(request.user, Action.VIEW)
        .filter(household=household)
        .select_related("visitor", "case")
    )
    for visit in visits:
        visit.reason_labels = reason_labels(visit.reasons)  # type: ignore[attr-defined]
    may_visit = capabilities.may(request.user, "residents.visit") and household.moved_out is None
    context = {
        "household": household,
        "visits": visits,
        "may_visit": may_visit,
        "plan_form": PlanForm() if may_visit else None,
    }
    return render(request, "residents/visit_list.html", context)


@login_required
@require_POST
def visit_plan(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = PlanForm(request.POST)
    back = reverse("residents:household_visits", args=[household.pk])
    if not form.is_valid():
        messages.error(request, _("未能计划走访：%(problems)s") % {"problems": action_views.problems(form)})
        return redirect(back)
    try:
        actions.plan_visit(request.user, household, planned_for=form.cleaned_data["planned_for"])
    except ActionError as exc:
        messages.error(request, _("未能计划走访：%(message)s") % {"message": exc.message})
    else:
        messages.success(request, _("已计划走访"))
    return redirect(back)


def record_form(request: HttpRequest, visit: Visit) -> ActionForm:
    """The phone form's fields: the record action's declaration, the photo input opening the camera."""
    form = ActionForm(
        request.POST or None,
        request.FILES or None,
        obj=visit,
        user=request.user,
        transition=MACHINE["record"],
    )
    form.fields["photos"].widget.attrs["accept"] = "image/*"
    form.fields["photos"].widget.attrs["capture"] = "environment"
    form.fields["method"].widget = forms.RadioSelect(choices=VisitMethod.choices)
    return form


@login_required
@require_http_methods(["GET", "POST"])
def mobile_visit(request: HttpRequest, household: int) -> HttpResponse:
    """记录走访 on the phone: records the household's planned visit, or a visit without a plan."""
    capabilities.require(request.user, "residents.visit")
    home = _household(request, household)
    planned = actions.next_planned(request.user, home)
    visit = planned or Visit(household=home, street_id=home.street_id)
    form = record_form(request, visit)
    if request.method == "POST" and form.is_valid():
        try:
            if planned is not None:
                done = actions.run_action(planned.pk, VisitAction.RECORD, request.user, form.params())
            else:
                done = actions.record_visit_now(request.user, home, form.params())
        except Conflict:
            messages.error(request, _("走访记录已被他人更新，请刷新"))
        except ActionError as exc:
            field = next((f for f in exc.fields if f in form.fields), None)
            form.add_error(field, exc.message)
        else:
            text = _("已记录走访")
            if actions.is_far(done):
                text = _("已记录走访（签到位置距楼栋约 %(m)s 米，超出提醒距离）") % {
                    "m": int(done.distance_m or 0)
                }
            messages.success(request, text)
            return redirect("residents:mobile_visit_done", done.pk)
    rows = due.due_list(request.user, household_ids=[home.pk], within=None)
    context: dict[str, Any] = {
        "household": home,
        "form": form,
        "planned": planned,
        "due": rows[0] if rows else None,
        "reasons": reason_labels(rows[0].codes) if rows else [],
    }
    return render(request, "residents/mobile_visit.html", context)


@login_required
def mobile_visit_done(request: HttpRequest, pk: int) -> HttpResponse:
    """After recording on the phone: what was kept, and the way back to the list."""
    visit = _visible_visit(request, pk)
    return render(request, "residents/mobile_visit_done.html", {"visit": visit, "far": actions.is_far(visit)})


urlpatterns = [
    path("visits/due/", due_page, name="due"),
    path("visits/due/export/", due_export, name="due_export"),
    path("visits/<int:pk>/", visit_detail, name="visit"),
    path("visits/<int:pk>/act/<str:action>/", visit_action, name="visit_action"),
    path("households/<int:pk>/visits/", household_visits, name="household_visits"),
    path("households/<int:pk>/visits/plan/", visit_plan, name="visit_plan"),
    path("m/visit/<int:household>/", mobile_visit, name="mobile_visit"),
    path("m/visit/done/<int:pk>/", mobile_visit_done, name="mobile_visit_done"),
]
