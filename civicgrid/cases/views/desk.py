"""The desk's own pages: 代居民登记 (a case registered on a resident's behalf, optionally
filed and dispatched in the same step) and the workbench's bulk actions."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.core.querysets import user_scope
from civicgrid.core.views import safe_next
from civicgrid.geo.models import Area, Building
from civicgrid.geo.views import map_context

from .. import actions, batch, duplicates, jobs
from ..choices import CaseAction
from ..errors import CaseError
from ..forms import DeskIntakeForm
from ..intake import suggest
from ..models import Case
from ..routing import route
from .common import form_error, require
from .public import street_map

# The address field's suggestions (a <datalist>): the buildings of the desk's streets.
BUILDING_SUGGESTIONS = 3000


def _context(request: HttpRequest, form: DeskIntakeForm) -> dict[str, Any]:
    buildings = (
        Building.objects.restrict(request.user, Action.VIEW)
        .order_by("normalized_address")
        .values_list("normalized_address", flat=True)[:BUILDING_SUGGESTIONS]
    )
    streets = Area.objects.restrict(request.user, Action.VIEW).streets()
    return {"form": form, "buildings": buildings, "street_map": street_map(streets), **map_context()}


@login_required
@require_http_methods(["GET", "POST"])
def desk_new(request: HttpRequest) -> HttpResponse:
    """代居民登记; the 立案并派遣 button (`dispatch`) files and dispatches it too."""
    require(request, "cases.desk")
    form = DeskIntakeForm(request.POST or None, request.FILES or None, user=request.user)
    found: list[duplicates.Candidate] = []
    if request.method == "POST" and form.is_valid():
        # Look-alikes first (unless the desk has seen them): reopen or merge rather than register again.
        found = [] if request.POST.get("confirmed") else _duplicates(request, form)
    if request.method == "POST" and form.is_valid() and not found:
        dispatch = "dispatch" in request.POST
        data = form.case_input()
        try:
            case = actions.create_case(
                data,
                request.user,
                via="desk",
                then=form.dispatch_steps() if dispatch else (),
                suggestion=_suggestion(request, data.description, data.address)[0],
            )
        except CaseError as exc:
            form_error(form, exc)
        else:
            done = _("已登记并派遣") if dispatch else _("已登记")
            messages.success(request, f"{done}：{case.number}")
            return redirect(case.get_absolute_url())
    status = 400 if form.errors else 200
    context = {**_context(request, form), "candidates": found}
    return render(request, "cases/desk_new.html", context, status=status)


def _duplicates(request: HttpRequest, form: DeskIntakeForm) -> list[duplicates.Candidate]:
    """The open and recently closed cases the desk may see that look like this one."""
    data = form.case_input()
    try:
        category, place = actions.validate_input(data)
    except CaseError:
        return []  # registering will say what is wrong
    street = place.location.street
    if street is None:
        return []
    found = duplicates.for_draft(
        street_id=street.id,
        category=category,
        building=place.building,
        lon=place.lon,
        lat=place.lat,
        description=data.description,
        received_at=data.received_at or clock.now(),
    )
    visible = set(
        Case.objects.restrict(request.user, Action.VIEW)
        .filter(pk__in=[c.case.pk for c in found])
        .values_list("pk", flat=True)
    )
    return [c for c in found if c.case.pk in visible]


def _suggestion(request: HttpRequest, text: str, address: str) -> tuple[suggest.Suggestion | None, bool]:
    """The street's intake suggestion for the text typed so far, and whether its category is
    confident enough to show."""
    found, street = suggest.for_desk(request.user, text, address.strip())
    return found, suggest.confident(found, street.pk if street else None)


@login_required
def desk_suggest(request: HttpRequest) -> HttpResponse:
    """智能建议 (htmx, from the intake form as the desk types the complaint): category, request
    type, confidence, the address in the text and the duty table's unit; empty without a
    model. The desk takes it with one button or ignores it; what it registers is recorded
    against the suggestion (actions.record_suggestion)."""
    require(request, "cases.desk")
    found, show_category = _suggestion(
        request, request.GET.get("description", "")[:2000], request.GET.get("address", "")[:200]
    )
    context = {"suggestion": found, "show_category": show_category}
    return render(request, "cases/_intake_suggestion.html", context)


@login_required
def desk_route(request: HttpRequest) -> HttpResponse:
    """The dispatch fields with the duty table's units for the category and place typed so far
    (htmx, from the intake form): a suggestion the desk may change."""
    require(request, "cases.desk")
    proposal = None
    try:
        lon, lat = _float(request.GET.get("lon")), _float(request.GET.get("lat"))
        place = actions.resolve_place(lon, lat, request.GET.get("address", "").strip())
        category = actions.resolve_category(request.GET.get("category"))
        actions.check_street_scope(user_scope(request.user), place.location)
    except CaseError:
        pass  # not enough typed yet for a suggestion
    else:
        loc = place.location
        if loc:
            proposal = route(category, [loc.grid, loc.residential_area, loc.street])
    initial = {}
    if proposal is not None:
        initial = {"lead_unit": proposal.lead_unit.pk, "co_units": [u.pk for u in proposal.co_units]}
    form = DeskIntakeForm(user=request.user, initial=initial)
    return render(request, "cases/_desk_dispatch.html", {"form": form, "proposal": proposal})


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@login_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    """The workbench's bulk bar: the chosen action on every ticked case, a result per case;
    a big selection becomes a job and this answers with its progress page."""
    if not batch.batch_actions(request.user):
        raise Http404(_("页面不存在"))
    form = batch.BatchForm(request.POST, user=request.user)
    back = safe_next(request, reverse("cases:workbench"))
    if not form.is_valid():
        problems = "；".join(
            f"{form.fields[name].label}：{error}" if name in form.fields else str(error)
            for name, errors in form.errors.items()
            for error in errors
        )
        messages.error(request, _("未能批量处理：%(problems)s") % {"problems": problems})
        return redirect(back)
    action, selection, params = form.cleaned_data["action"], form.cleaned_data["cases"], form.params()
    if len(selection) > batch.INLINE_LIMIT:
        job = jobs.start_batch(request.user, action, selection, params)
        return redirect(job.get_absolute_url())
    results = batch.run_batch(request.user, action, selection, params)
    context = {
        "action": CaseAction(action).label,
        "results": results,
        "done": sum(r.done for r in results),
        "back": back,
    }
    return render(request, "cases/batch_result.html", context)
