"""The public site: a resident reports a problem without an account, and later follows it
by case number plus the last four digits of the phone given.

The follow-up page shows the one public view of a case (cases.public: status, dates, the
public steps, the result with personal data masked), never staff names, notes or phone
numbers, and it is throttled per IP so it cannot be used to
walk through case numbers.
"""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicgrid.core import personal, throttle
from civicgrid.core.choices import Action, Role
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.geo.views import map_context

from .. import actions
from ..actions import CaseInput
from ..choices import Channel
from ..errors import CaseError
from ..forms import FollowForm, PublicReportForm
from ..models import Case, Category
from ..public import public_case
from .common import form_error, role_of

# Follow-up lookups allowed per IP address and window (seconds).
FOLLOW_LIMIT = 10
FOLLOW_WINDOW = 600
# Reports accepted per IP address and hour: generous for a family, not for a script.
REPORT_LIMIT = 20
REPORT_WINDOW = 3600
# Numbers of the reports made in this browser session, for the confirmation page.
SESSION_KEY = "cases_public_reports"
MY_REPORTS_LIMIT = 50


def _my_reports(request: HttpRequest) -> list[Case]:
    if role_of(request.user) != Role.RESIDENT:
        return []
    return list(
        Case.objects.restrict(request.user, Action.VIEW).select_related("category")[:MY_REPORTS_LIMIT]
    )


def street_map(streets: QuerySet[Area] | None = None) -> dict[str, Any]:
    """The outlines of `streets` (default: every street) for the location picker (works
    without map tiles)."""
    # lint: allow-unrestricted (the public map: street outlines are public)
    rows = streets if streets is not None else Area.objects.filter(kind=AreaKind.STREET)
    features = [
        {
            "type": "Feature",
            "geometry": area.geometry,
            "properties": {"name": area.name, "code": area.code, "role": "self"},
        }
        for area in rows.exclude(geometry__isnull=True).only("geometry", "name", "code")
    ]
    return {"type": "FeatureCollection", "features": features}


def _form_street(request: HttpRequest) -> int | None:
    """The street whose profile sets the form's common categories: ?street=<code> (the link a
    street hands out), else the only street; None (the city default) when neither says."""
    # lint: allow-unrestricted (public form: the street's code and name)
    streets = Area.objects.filter(kind=AreaKind.STREET)
    code = request.GET.get("street")
    if code:
        return streets.filter(code=code).values_list("pk", flat=True).first()
    found = list(streets.values_list("pk", flat=True)[:2])
    return found[0] if len(found) == 1 else None


@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest) -> HttpResponse:
    form = PublicReportForm(request.POST or None, request.FILES or None, street_id=_form_street(request))
    if request.method == "POST" and _throttled(request, "report", REPORT_LIMIT, REPORT_WINDOW):
        form.add_error(None, _("提交过于频繁，请稍后再试或拨打 12345。"))
        context = {
            "form": form,
            "street_map": street_map(),
            "my_reports": _my_reports(request),
            **map_context(),
        }
        return render(request, "cases/public/report.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        category = Category.objects.filter(code=data["category"]).first()
        photo = data.get("photo")
        case_input = CaseInput(
            request_type=data["request_type"] or (category.default_request_type if category else ""),
            category=data["category"],
            description=data["description"],
            channel=Channel.WEB,
            lon=data.get("lon"),
            lat=data.get("lat"),
            address=data.get("address") or "",
            reporter_name=data.get("reporter_name") or "",
            reporter_phone=data["reporter_phone"],
            reporter_anonymous=bool(data.get("reporter_anonymous")),
            photos=[photo] if photo else [],
        )
        # Staff using the public form report as members of the public, not inside their scope.
        actor = request.user if role_of(request.user) == Role.RESIDENT else None
        try:
            case = actions.create_case(case_input, actor, via="web")
        except CaseError as exc:
            form_error(form, exc)
        else:
            numbers = [*request.session.get(SESSION_KEY, []), case.number][-10:]
            request.session[SESSION_KEY] = numbers
            return redirect("report:done")
    return render(
        request,
        "cases/public/report.html",
        {"form": form, "street_map": street_map(), "my_reports": _my_reports(request), **map_context()},
    )


def report_done(request: HttpRequest) -> HttpResponse:
    numbers = request.session.get(SESSION_KEY, [])
    if not numbers:
        return redirect("report:form")
    return render(request, "cases/public/done.html", {"number": numbers[-1]})


def _throttled(request: HttpRequest, name: str, limit: int, window: int) -> bool:
    """Count this attempt against the IP's allowance; True once it is used up."""
    return throttle.hit(f"cases:{name}:{throttle.client_ip(request)}", window) > limit


@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    """Case number + last four phone digits → the public status. Every attempt counts
    against the throttle, right or wrong, and both failures read the same."""
    form = FollowForm(request.POST or None, initial={"number": request.GET.get("number", "")})
    context: dict[str, Any] = {"form": form, "my_reports": _my_reports(request)}
    if request.method == "POST":
        if _throttled(request, "follow", FOLLOW_LIMIT, FOLLOW_WINDOW):
            context["throttled"] = True
            return render(request, "cases/public/follow.html", context, status=429)
        if form.is_valid():
            number, digits = form.cleaned_data["number"], form.cleaned_data["digits"]
            # lint: allow-unrestricted (public look-up: number + phone digits)
            case = Case.objects.filter(number=number).select_related("master").first()
            # Compared, never shown: the page answers only whether the digits match.
            given = personal.unmasked(case.reporter_phone) if case else ""
            phone_digits = "".join(ch for ch in given if ch.isdigit())
            if case is not None and len(phone_digits) >= 4 and phone_digits[-4:] == digits:
                context["public"] = public_case(case)
                context["found"] = True
            else:
                messages.error(request, _("没有找到匹配的工单，请核对工单编号和手机号后四位。"))
    return render(request, "cases/public/follow.html", context)
