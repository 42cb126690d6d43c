"""The grid worker's phone pages: the patrol page (their home: start and stop a patrol, what
is open in their grids), the list of open cases in their grids (待核查 first), report a
problem found on patrol (photo + GPS) and verify handled cases on site with a GPS check-in.
Big buttons, one column; the verify forms post to the ordinary action endpoint and come back
here."""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Prefetch, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicgrid.core.choices import Action

from .. import actions, workflow
from ..actions import CaseInput
from ..choices import (
    OPEN_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    CaseAction,
    CaseStatus,
    Channel,
    PhotoStage,
    RequestType,
)
from ..duplicates import distance_m
from ..errors import CaseError
from ..filters import filter_cases
from ..forms import PatrolReportForm, action_form
from ..models import Assignment, Case, Category, Photo
from .common import require

RECENT_LIMIT = 10
VERIFY_LIMIT = 50
OPEN_LIMIT = 100


def open_cases(request: HttpRequest) -> QuerySet[Case]:
    """The open cases of my grids (restrict() and the one filter), 待核查 first, then oldest first."""
    qs = filter_cases(
        Case.objects.restrict(request.user, Action.VIEW), {"status": sorted(OPEN_STATUSES)}, user=request.user
    )
    verify_first = SqlCase(
        When(status=CaseStatus.HANDLED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return qs.annotate(verify_first=verify_first).order_by("verify_first", "received_at", "id")


@login_required
def mobile_home(request: HttpRequest) -> HttpResponse:
    """The patrol page, a grid worker's home: the patrol they have open (or the button to
    start one), what waits in their grids and their latest reports."""
    require(request, "cases.mobile")
    user = request.user
    waiting = open_cases(request).order_by()
    mine = list(
        Case.objects.restrict(user, Action.VIEW)
        .filter(created_by=user.pk, channel=Channel.PATROL)
        .select_related("category")
        .order_by("-received_at")[:RECENT_LIMIT]
    )
    context = {
        "to_verify": waiting.filter(status=CaseStatus.HANDLED).count(),
        "open_count": waiting.count(),
        "mine": mine,
        "patrol": actions.active_patrol(user),
    }
    return render(request, "cases/mobile/home.html", context)


def _position(request: HttpRequest) -> tuple[float, float] | None:
    """?lon=&lat= from the phone (the list's "nearest first"); None when absent or not a place."""
    try:
        lon, lat = float(request.GET["lon"]), float(request.GET["lat"])
    except (KeyError, ValueError):
        return None
    ok = math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90
    return (lon, lat) if ok else None


@login_required
def mobile_cases(request: HttpRequest) -> HttpResponse:
    """Open cases in my grids with what I must do: 待核查 first, then the oldest; with the
    phone's position, nearest first within each."""
    require(request, "cases.mobile")
    cases = list(open_cases(request).select_related("category", "grid")[:OPEN_LIMIT])
    here = _position(request)
    for case in cases:
        case.distance = (  # type: ignore[attr-defined]
            None
            if here is None or case.lon is None or case.lat is None
            else distance_m(*here, case.lon, case.lat)
        )
    if here is not None:
        cases.sort(key=lambda c: (c.verify_first, c.distance is None, c.distance or 0))  # type: ignore[attr-defined]
    return render(request, "cases/mobile/cases.html", {"cases": cases, "near": here is not None})


@login_required
@require_http_methods(["GET", "POST"])
def mobile_report(request: HttpRequest) -> HttpResponse:
    require(request, "cases.mobile")
    form = PatrolReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        category = Category.objects.filter(code=data["category"]).first()
        request_type = (
            category.inherited("default_request_type") if category else None
        ) or RequestType.REPORT
        try:
            case = actions.report_on_patrol(
                CaseInput(
                    request_type=str(request_type),
                    category=data["category"],
                    description=data["description"],
                    channel=Channel.PATROL,
                    urgency=data["urgency"],
                    lon=data.get("lon"),
                    lat=data.get("lat"),
                    address=data.get("address") or "",
                    photos=data.get("photos") or [],
                ),
                request.user,
            )
        except CaseError as exc:
            field = next((f for f in exc.fields if f in form.fields), None)
            form.add_error("address" if field in ("lon", "lat") else field, exc.message)
        else:
            messages.success(request, _("已上报，工单编号 %(number)s") % {"number": case.number})
            return redirect("cases:mobile")
    return render(request, "cases/mobile/report.html", {"form": form})


@login_required
def mobile_verify(request: HttpRequest) -> HttpResponse:
    """Handled cases in my grid(s), each with the unit's feedback and after photos, and
    the pass / fail forms the workflow allows me."""
    require(request, "cases.mobile")
    cases = list(
        Case.objects.restrict(request.user, Action.VIEW)
        .filter(status=CaseStatus.HANDLED)
        .select_related("category", "grid", "lead_unit")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(
                    role=AssignmentRole.LEAD, status=AssignmentStatus.HANDLED
                ).select_related("unit"),
            ),
            Prefetch("photos", queryset=Photo.objects.filter(stage=PhotoStage.AFTER)),
        )
        .order_by("handled_at", "id")[:VERIFY_LIMIT]
    )
    back = reverse("cases:mobile_verify")
    rows = []
    for case in cases:
        allowed = workflow.allowed_actions(case, request.user)
        forms = {
            action: action_form(action, case, request.user)
            for action in (CaseAction.VERIFY_PASS, CaseAction.VERIFY_FAIL)
            if action in allowed
        }
        for form in forms.values():
            form.initial["next"] = back
        rows.append(
            {
                "case": case,
                "pass_form": forms.get(CaseAction.VERIFY_PASS),
                "fail_form": forms.get(CaseAction.VERIFY_FAIL),
            }
        )
    return render(request, "cases/mobile/verify.html", {"rows": rows})
