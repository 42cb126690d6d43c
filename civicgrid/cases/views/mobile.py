"""The grid worker's phone pages: report a problem found on patrol (photo + GPS) and verify
handled cases on site. Big buttons, one column; the verify forms post to the ordinary
action endpoint and come back here."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicgrid.core.choices import Action

from .. import actions, workflow
from ..actions import CaseInput
from ..choices import (
    AssignmentRole,
    AssignmentStatus,
    CaseAction,
    CaseStatus,
    Channel,
    PhotoStage,
    RequestType,
)
from ..errors import CaseError
from ..forms import PatrolReportForm, action_form
from ..models import Assignment, Case, Category, Photo
from .common import require

RECENT_LIMIT = 10
VERIFY_LIMIT = 50


@login_required
def mobile_home(request: HttpRequest) -> HttpResponse:
    require(request, "cases.mobile")
    visible = Case.objects.restrict(request.user, Action.VIEW)
    to_verify = visible.filter(status=CaseStatus.HANDLED).count()
    mine = list(
        visible.filter(created_by=request.user.pk, channel=Channel.PATROL).select_related("category")[
            :RECENT_LIMIT
        ]
    )
    return render(request, "cases/mobile/home.html", {"to_verify": to_verify, "mine": mine})


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
            case = actions.create_case(
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
                via="web",
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
