"""The public site: a resident reports a problem without an account, and later follows it
by case number plus the last four digits of the phone given.

The follow-up page shows the one public view of a case (cases.public: status, dates, the
public steps, the result with personal data masked), never staff names, notes or phone
numbers, and it is throttled per IP so it cannot be used to
walk through case numbers. The resident's tracking link (cases.tracking) opens the same view
without the look-up, with the photos the desk marked public and, once the case is closed, the
form for the resident's own rating (居民评价, once per case).
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicgrid.core import personal, throttle
from civicgrid.core.action_forms import ActionForm
from civicgrid.core.choices import Role
from civicgrid.core.views import serve_attachment
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.geo.views import map_context

from .. import actions
from ..actions import CaseInput
from ..choices import CaseAction, Channel
from ..errors import CaseError
from ..forms import FollowForm, PublicReportForm, action_form
from ..models import Case, Category
from ..public import my_reports, public_case, public_photos, public_rating, resident_link
from ..tracking import BadLink, LinkProblem, case_for, token_for
from ..workflow import MACHINE
from .common import form_error, role_of

# Follow-up lookups allowed per IP address and window (seconds).
FOLLOW_LIMIT = 10
FOLLOW_WINDOW = 600
# Tracking-link pages allowed per IP address and window: a family opening its links, not a
# script trying tokens.
TRACK_LIMIT = 30
# Reports accepted per IP address and hour: generous for a family, not for a script.
REPORT_LIMIT = 20
REPORT_WINDOW = 3600
# Numbers of the reports made in this browser session, for the confirmation page.
SESSION_KEY = "cases_public_reports"


def status_context(case: Case, rating_data: Any = None) -> dict[str, Any]:
    """What a page showing a case to the person holding its link renders (status.html's body):
    the public view, the link's token (photos, the rating form), the public photos, the
    resident's rating, or the rating form while one may be given."""
    rateable = MACHINE.allows(case, CaseAction.RATE, None)
    return {
        "public": public_case(case),
        "token": token_for(case),
        "public_photos": list(public_photos(case)),
        "rating": public_rating(case),
        "rating_form": _rating_form(case, rating_data) if rateable else None,
    }


def _rating_form(case: Case, data: Any) -> ActionForm:
    form = action_form(CaseAction.RATE, case, None, data)
    # Radio buttons with nothing chosen: a preselected first answer would skew the rates.
    for name in ("satisfaction", "resolution"):
        field: Any = form.fields[name]
        field.widget = forms.RadioSelect(choices=field.choices)
    return form


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


def _prefill(request: HttpRequest) -> dict[str, str]:
    """A signed-in resident's own name and phone (their own data, shown to them only)."""
    user: Any = request.user
    if role_of(user) != Role.RESIDENT:
        return {}
    return {"reporter_name": user.full_name, "reporter_phone": personal.unmasked(user.phone)}


@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest) -> HttpResponse:
    posted, files = request.POST or None, request.FILES or None
    form = PublicReportForm(posted, files, street_id=_form_street(request), initial=_prefill(request))
    if request.method == "POST" and _throttled(request, "report", REPORT_LIMIT, REPORT_WINDOW):
        form.add_error(None, _("提交过于频繁，请稍后再试或拨打 12345。"))
        context = {
            "form": form,
            "street_map": street_map(),
            "my_reports": my_reports(request.user),
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
        {"form": form, "street_map": street_map(), "my_reports": my_reports(request.user), **map_context()},
    )


def report_done(request: HttpRequest) -> HttpResponse:
    numbers = request.session.get(SESSION_KEY, [])
    if not numbers:
        return redirect("report:form")
    # lint: allow-unrestricted (the number this browser session reported a moment ago)
    case = Case.objects.filter(number=numbers[-1]).first()
    link = resident_link(case) if case else ""
    return render(request, "cases/public/done.html", {"number": numbers[-1], "link": link})


def _throttled(request: HttpRequest, name: str, limit: int, window: int) -> bool:
    """Count this attempt against the IP's allowance; True once it is used up."""
    return throttle.hit(f"cases:{name}:{throttle.client_ip(request)}", window) > limit


@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    """Case number + last four phone digits → the public status. Every attempt counts
    against the throttle, right or wrong, and both failures read the same."""
    form = FollowForm(request.POST or None, initial={"number": request.GET.get("number", "")})
    context: dict[str, Any] = {"form": form, "my_reports": my_reports(request.user)}
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
                context.update(status_context(case), found=True)
            else:
                messages.error(request, _("没有找到匹配的工单，请核对工单编号和手机号后四位。"))
    return render(request, "cases/public/follow.html", context)


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, token: str) -> HttpResponse:
    """The resident's tracking link: the public view of their case and, once it is closed,
    their rating. Throttled per IP like the follow page; a garbled link is a 404, a revoked
    or lapsed one a 410, each with a page saying what to do."""
    if _throttled(request, "track", TRACK_LIMIT, FOLLOW_WINDOW):
        return render(request, "cases/public/link_problem.html", {"throttled": True}, status=429)
    try:
        case = case_for(token)
    except BadLink as exc:
        status = 404 if exc.problem is LinkProblem.UNKNOWN else 410
        return render(
            request, "cases/public/link_problem.html", {"problem": exc.problem.value}, status=status
        )
    context = status_context(case, request.POST if request.method == "POST" else None)
    form = context["rating_form"]
    if request.method == "POST":
        if form is None:
            messages.error(request, _("这件工单现在不能评价（尚未办结或已评价过）。"))
            return render(request, "cases/public/status.html", context, status=409)
        if form.is_valid():
            params = form.params()
            try:
                actions.rate_case(case, params, version=params.pop("version"))
            except CaseError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("感谢您的评价！"))
                return redirect(request.path)
        return render(request, "cases/public/status.html", context, status=400)
    return render(request, "cases/public/status.html", context)


def track_photo(request: HttpRequest, token: str, pk: int, size: str = "full") -> FileResponse:
    """A photo the desk marked public, of the very case the link names; a 404 for any other id
    (another case's, a private one) and for a bad link. Not throttled: the page's own images
    load through here, and the signed link cannot be guessed."""
    try:
        case = case_for(token)
    except BadLink:
        raise Http404(_("文件不存在")) from None
    return serve_attachment(get_object_or_404(public_photos(case), pk=pk), size)
