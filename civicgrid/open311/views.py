"""Open311 GeoReport v2 at /open311/v2/ (wiki.open311.org/GeoReport_v2), plain Django views.

Every resource answers in XML (`.xml`, the spec's required format) and JSON (`.json`); errors
have the spec's shape in the same format. Reads are public (querysets.readable_cases says
which cases); creating a request needs an api_key with the open311:write scope and goes
through cases.actions.create_case like every other channel. Two common extensions are
supported: `extensions=true` (CitySDK's extended_attributes.detailed_status) and
`servicerequestupdates` (mySociety's update feed, built from the public steps of the timeline).
"""

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import F, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from civicgrid.accounts.models import ApiToken
from civicgrid.cases import actions, personal
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.choices import CaseStatus, Channel, RequestType
from civicgrid.cases.errors import CaseError, Forbidden, NotFound
from civicgrid.cases.intake import suggest
from civicgrid.cases.models import Case, CaseEvent, Category
from civicgrid.cases.personal import reveal_personal
from civicgrid.cases.public import PUBLIC_STATUS, PUBLIC_STEPS, public_description
from civicgrid.core import privacy
from civicgrid.core.choices import Action
from civicgrid.core.inputs import as_id
from civicgrid.core.redact import redact
from civicgrid.geo.models import Area, Building
from civicgrid.geo.services import PlaceRef

from . import actions as open311_actions
from . import conf, params, services
from .choices import (
    CLOSED_CASE_STATUSES,
    DETAILED_STATUS,
    UPDATE_STATUS,
    DetailedStatus,
    Format,
    RequestStatus,
    UpdateStatus,
)
from .models import Submission
from .params import Open311Error, param
from .querysets import readable_cases
from .render import render, render_errors, w3

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
VIA = open311_actions.VIA
# Statuses a case reads as "open" (a merged case reads as its master).
OPEN_LIKE = [s for s in CaseStatus.values if s not in CLOSED_CASE_STATUSES and s != CaseStatus.MERGED]
CLOSED_LIKE = [*CLOSED_CASE_STATUSES, CaseStatus.MERGED]
OPENAPI_FILE = Path(__file__).with_name("openapi.json")

View = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[View], View]:
    """The frame of every resource: the format suffix (xml/json, else 404), the method
    (else 405 with Allow), and errors rendered in the spec's shape and the asked format."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def wrap(view: View) -> View:
        @csrf_exempt  # called by other systems with an api_key, never by a browser session
        @functools.wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in Format.values:
                return render_errors(Format.XML, 404, [(404, f"不支持的格式“{fmt}”，可用 xml 或 json")])
            if request.method not in allowed:
                response = render_errors(fmt, 405, [(405, f"不支持 {request.method} 方法")])
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                for name, value in kwargs.items():
                    params.clean(name, value)
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                response = render_errors(fmt, exc.status, [(exc.status, exc.description)])
                for name, value in exc.headers.items():
                    response[name] = value
                return response
            except CaseError as exc:
                status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, Forbidden) else 400
                return render_errors(fmt, status, [(status, exc.message)])
            except RequestDataTooBig:
                limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                return render_errors(fmt, 413, [(413, f"请求体过大，上限 {limit} 字节")])

        return wrapper

    return wrap


# ---------------------------------------------------------------------------- discovery, services


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """Service discovery: where the endpoint is and which formats it speaks. The changeset
    moves when the category tree (the service list) changes."""
    latest = Category.objects.aggregate(at=Max("updated_at"))["at"]
    # A sortable time, as the spec's example (ISO 8601, with our offset like every datetime here).
    changeset = timezone.localtime(latest).isoformat(timespec="seconds") if latest else ""
    here = request.build_absolute_uri(reverse("open311:discovery", args=[fmt]))
    return render(
        fmt,
        "discovery",
        None,
        {
            "changeset": changeset,
            "contact": conf.contact(),
            "key_service": conf.key_service(),
            # Clients send no jurisdiction_id unless configured: here are the valid ones.
            "jurisdictions": [{"jurisdiction_id": s.code, "name": s.name} for s in params.streets()],
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": here.rsplit("/", 1)[0],
                    "changeset": changeset,
                    "type": "production",
                    "formats": [Format.XML.label, Format.JSON.label],
                }
            ],
        },
    )


@endpoint("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    # Each street keeps its own categories private; without one, the services all streets share.
    street = params.jurisdiction(request)
    return render(fmt, "services", "service", [s.as_dict() for s in services.catalogue(street)])


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    service = services.find(code, params.jurisdiction(request))
    if service is None:
        raise Open311Error(404, f"service_code“{code}”不存在")
    return render(fmt, "service_definition", None, service.definition())


# ---------------------------------------------------------------------------- service requests


def _shown(case: Case) -> Case:
    """A merged case reads as its master (it shares the master's result)."""
    return case.master if case.status == CaseStatus.MERGED and case.master is not None else case


def status_of(case: Case) -> RequestStatus:
    shown = _shown(case)
    if shown.status in CLOSED_CASE_STATUSES or shown.status == CaseStatus.MERGED:
        return RequestStatus.CLOSED
    return RequestStatus.OPEN


def _status_q(wanted: list[str]) -> Q:
    unknown = [s for s in wanted if s not in RequestStatus.values]
    if unknown:
        raise Open311Error(400, f"status“{','.join(unknown)}”无效，可选 open、closed")
    if set(wanted) == {RequestStatus.OPEN}:
        return Q(status__in=OPEN_LIKE) | Q(status=CaseStatus.MERGED, master__status__in=OPEN_LIKE)
    if set(wanted) == {RequestStatus.CLOSED}:
        # Spelled out rather than negated: a merged case without a master reads as closed.
        return (
            Q(status__in=CLOSED_CASE_STATUSES)
            | Q(status=CaseStatus.MERGED, master__isnull=True)
            | Q(status=CaseStatus.MERGED, master__status__in=CLOSED_LIKE)
        )
    return Q()


# The reason logged for an integration's reads: the grant of the scope is the decision a person took.
PERSONAL_READ_REASON = "外部系统按 personal:read 授权读取"


def full_text_reader(token: ApiToken | None, cases: list[Case]) -> tuple[Any, set[int]]:
    """Who reads the description of which of `cases` in full: a key with `personal:read`
    whose account may reveal personal data, for the cases inside that account's own scope.
    Everyone else reads it with the personal data typed into it masked (core.redact)."""
    if token is None or not token.reads_personal_data or not privacy.may_reveal_phone(token.user):
        return None, set()
    mine = Case.objects.restrict(token.user, Action.VIEW).filter(pk__in=[c.pk for c in cases])
    return token.user, set(mine.values_list("pk", flat=True))


def _description(case: Case, reader: Any) -> str | None:
    if case.status == CaseStatus.REJECTED:
        return None
    masked = public_description(case)
    if reader is None or masked == case.description:
        return masked
    return reveal_personal(reader, case, personal.DESCRIPTION, privacy.RevealVia.API, PERSONAL_READ_REASON)


def request_out(case: Case, *, extensions: bool, reader: Any = None) -> dict[str, Any]:
    """One service request: the spec's fields, never the reporter's name, phone or e-mail.
    Not shown either: the resolution note (staff text), the description of a case not
    accepted (不予立案: often abuse), photos (they may show people). Phones, ID numbers and
    plates in the description and title are masked unless `reader` (full_text_reader())
    reads this case in full; each such read is logged."""
    shown = _shown(case)
    status = status_of(case)
    if shown is not case:
        notes = f"与同一问题的其他反映合并办理（主单 {shown.number}）"
    else:
        notes = str(PUBLIC_STATUS[case.status].label)
    closed = status == RequestStatus.CLOSED
    out: dict[str, Any] = {
        "service_request_id": case.number,
        "status": status.value,
        "status_notes": notes or None,
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": _description(case, reader),
        "agency_responsible": case.lead_unit.name if case.lead_unit else None,
        "service_notice": None if closed else service_notice(case),
        "requested_datetime": w3(case.received_at),
        "updated_datetime": w3((shown.closed_at if closed else None) or case.updated_at),
        "expected_datetime": w3(case.handling_due_at),
        "address": case.address or None,
        "address_id": str(case.building_id) if case.building_id else None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": getattr(case, "open311_media_url", None) or None,
    }
    if extensions:
        detailed = DETAILED_STATUS.get(shown.status, DetailedStatus.PROCESSED)
        out["extended_attributes"] = {
            "detailed_status": detailed.value,
            "title": case.title if reader is not None else redact(case.title),
            "channel": case.channel,
            "case_status": shown.status,
        }
    return out


def service_notice(case: Case) -> str:
    due = timezone.localtime(case.handling_due_at)
    return f"已登记为工单 {case.number}，按规定应于 {due:%Y-%m-%d %H:%M} 前办结。"


def _with_fields(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related("category", "lead_unit", "master").annotate(
        open311_media_url=F("open311_submission__media_url")
    )


@endpoint("GET", "POST")
def service_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    token = params.api_token(request, write=False, required=False)
    street = params.jurisdiction(request)
    user = token.user if token else None
    numbers = params.listed(request, "service_request_id")
    # Checked even when the ids override it: a bad value is a 400, never silently ignored.
    status_q = _status_q(params.listed(request, "status"))
    if numbers:
        # "This overrides all other arguments."
        if len(numbers) > conf.MAX_RESULTS:
            raise Open311Error(400, f"service_request_id 最多 {conf.MAX_RESULTS} 个")
        qs = readable_cases(street, user).filter(number__in=numbers)
    else:
        start, end = params.window(request)
        qs = readable_cases(street, user, listing=True).filter(received_at__gte=start, received_at__lte=end)
        codes = params.listed(request, "service_code")
        if codes:
            qs = qs.filter(category__code__in=codes)
        qs = qs.filter(status_q)
    # The pagination extension (page, page_size); without it: the newest 1000.
    size = params.positive_int(request, "page_size", conf.MAX_RESULTS, conf.MAX_RESULTS)
    page = params.positive_int(request, "page", 1, 10**6)
    offset = (page - 1) * size
    rows = list(_with_fields(qs).order_by("-received_at", "-id")[offset : offset + size])
    extensions = params.flag(request, "extensions")
    reader, full = full_text_reader(token, rows)
    out = [request_out(c, extensions=extensions, reader=reader if c.pk in full else None) for c in rows]
    return render(fmt, "service_requests", "request", out)


@endpoint("GET")
def service_request(request: HttpRequest, fmt: str, ref: str) -> HttpResponse:
    token = params.api_token(request, write=False, required=False)
    street = params.jurisdiction(request)
    case = _with_fields(readable_cases(street, token.user if token else None)).filter(number=ref).first()
    if case is None:
        raise Open311Error(404, f"service_request_id“{ref}”不存在")
    extensions = params.flag(request, "extensions")
    reader, full = full_text_reader(token, [case])
    out = request_out(case, extensions=extensions, reader=reader if case.pk in full else None)
    return render(fmt, "service_requests", "request", [out])


@endpoint("GET")
def token_lookup(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """The case number a POST's token stands for (the token itself is the secret)."""
    street = params.jurisdiction(request)
    found = (
        # lint: allow-unrestricted (Open311 is public: the token is the secret)
        Submission.objects.filter(token=token, **params.within(street))
        .values_list("case__number", flat=True)
        .first()
    )
    if found is None:
        raise Open311Error(404, f"token“{token}”不存在")
    return render(fmt, "service_requests", "request", [{"service_request_id": found, "token": token}])


# ---------------------------------------------------------------------------- POST requests


def _reporter_name(first: str, last: str) -> str:
    # Chinese names are family name first, without a space; others "first last".
    if first and last and not (first + last).isascii():
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def _place(request: HttpRequest, street: Any) -> tuple[float | None, float | None, str]:
    """(lon, lat, address) from lat+long, address_string or address_id (a building's id, of
    `street` when one is named)."""
    lat, lon = params.number(request, "lat"), params.number(request, "long")
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat 和 long 须同时提供")
    address = params.bounded(request, "address_string", 200)
    address_id = param(request, "address_id")
    if address_id is not None:
        building = None
        if (pk := as_id(address_id)) is not None:
            # lint: allow-unrestricted (Open311 is public: a building of the street)
            building = Building.objects.filter(pk=pk, **params.within(street)).first()
        if building is None:
            where = "该街道的" if street else ""
            raise Open311Error(400, f"address_id“{address_id}”不是{where}楼栋编号")
        # The building is authoritative: its address finds it again in create_case.
        address = building.address
        if lat is None:
            lon, lat = building.lon, building.lat
    if lat is None and not address:
        raise Open311Error(400, "缺少位置：请提供 lat 和 long、address_string 或 address_id 之一")
    return lon, lat, address


def _clean_contact(request: HttpRequest) -> dict[str, str]:
    email = params.bounded(request, "email", 254)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, f"email“{email}”不是有效的电子邮箱") from None
    phone = params.bounded(request, "phone", 30)
    if phone and not all(ch.isdigit() or ch in "+-() " for ch in phone):
        raise Open311Error(400, f"phone“{phone}”不是有效的电话号码")
    media_url = params.bounded(request, "media_url", 500)
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise Open311Error(400, "media_url 须为 http(s) 网址") from None
    name = _reporter_name(params.bounded(request, "first_name", 50), params.bounded(request, "last_name", 50))
    if len(name) > 50:
        raise Open311Error(400, "first_name 与 last_name 合计超过 50 个字符")
    return {
        "email": email,
        "phone": phone,
        "media_url": media_url,
        "name": name,
        "device_id": params.bounded(request, "device_id", 100),
        "account_id": params.bounded(request, "account_id", 100),
    }


def _located_street(request: HttpRequest) -> Area:
    """Without jurisdiction_id, the street the request's location lies in (the only street,
    if there is just one); a 400 naming the valid ids when the location places it nowhere."""
    lon, lat, address = _place(request, None)
    located = actions.resolve_place(lon, lat, address).location.street
    if located is not None:
        # lint: allow-unrestricted (Open311 is public: the street the location lies in)
        return Area.objects.get(pk=located.id)
    only = params.streets()
    if len(only) == 1:
        return only[0]
    raise params.jurisdiction_needed("位置不在本平台的任何街道内（或无法定位），请以街道编码指明")


# The spec's POST is form-encoded; multipart is what a form with a file field would send.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.META.get("CONTENT_LENGTH") not in (None, "", "0") and request.content_type not in FORM_TYPES:
        shown = request.content_type or "未声明"
        raise Open311Error(400, f"请求体应为 application/x-www-form-urlencoded（收到 {shown}）")
    token = params.api_token(request, write=True, required=True)
    assert token is not None  # required=True
    street = params.jurisdiction(request) or _located_street(request)
    code = param(request, "service_code")
    if code is None:
        # With the street's intake suggestion (cases.intake.suggest) when it has a model: the
        # client resends with the service it chooses; nothing is registered on a guess.
        found = suggest.hint(
            params.bounded(request, "description", 4000) or "",
            street,
            lambda category: services.find(category.code, street) is not None,
        )
        raise Open311Error(400, "缺少 service_code" + (f"；{found}" if found else ""))
    service = services.find(code, street)
    if service is None:
        raise Open311Error(404, f"service_code“{code}”不存在")
    answers = params.attributes(request)
    request_type = answers.pop(services.REQUEST_TYPE_ATTRIBUTE, None) or service.default_request_type
    if request_type not in RequestType.values:
        raise Open311Error(
            400, f"attribute[request_type]“{request_type}”无效，可选：{'、'.join(RequestType.values)}"
        )
    lon, lat, address = _place(request, street)
    contact = _clean_contact(request)
    description = params.bounded(request, "description", 4000) or service.category.name
    if answers:
        # Answers to questions the definition does not ask: kept for the dispatcher.
        listed = "；".join(f"{k}={'、'.join(v) if isinstance(v, list) else v}" for k, v in answers.items())
        description += f"\n附加信息：{listed}"
    # The case belongs to the street the client named: a location create_case cannot place
    # inside it is registered there all the same, to be located by the desk (待定位).
    submission = open311_actions.submit_request(
        token,
        CaseInput(
            request_type=request_type,
            category=service.category,
            description=description,
            channel=Channel.WEB,  # the nearest channel: a resident's report through an app
            lon=lon,
            lat=lat,
            address=address,
            reporter_name=contact["name"],
            reporter_phone=contact["phone"],
            source=VIA,
            street=PlaceRef.of(street),
        ),
        service_code=service.code,
        contact=contact,
        answers=answers,
    )
    case = submission.case
    # The spec wants service_request_id *or* token; both are given, for clients written
    # against batch servers (docs: the token resolves through tokens/{token}).
    return render(
        fmt,
        "service_requests",
        "request",
        [
            {
                "service_request_id": case.number,
                "token": submission.token,
                "service_notice": service_notice(case),
                "account_id": contact["account_id"] or None,
            }
        ],
    )


# ---------------------------------------------------------------------------- updates (extension)


@endpoint("GET")
def service_request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """mySociety's GET Service Request Updates: the public steps of the timeline between
    start_date and end_date (the same 90-day window), oldest first, at most 1000 (poll again
    from the last updated_datetime), each with the state the case reached."""
    token = params.api_token(request, write=False, required=False)
    street = params.jurisdiction(request)
    start, end = params.window(request)
    cases = readable_cases(street, token.user if token else None)
    events = (
        # lint: allow-unrestricted (timeline of readable_cases(), the Open311 scope)
        CaseEvent.objects.filter(
            case__in=cases.values("pk"),
            **params.within(street),
            action__in=list(PUBLIC_STEPS),
            at__gte=start,
            at__lte=end,
        )
        .select_related("case")
        .only("id", "at", "action", "to_status", "case__number")
        .order_by("at", "id")[: conf.MAX_RESULTS]
    )
    rows = [
        {
            "update_id": str(e.pk),
            "service_request_id": e.case.number,
            "status": UPDATE_STATUS.get(e.to_status, UpdateStatus.OPEN).value,
            "updated_datetime": w3(e.at),
            "description": str(PUBLIC_STEPS[e.action]),
            "media_url": None,
        }
        for e in events
    ]
    return render(fmt, "service_requests_updates", "request_update", rows)


# ---------------------------------------------------------------------------- the rest


@functools.cache
def _openapi_bytes() -> bytes:
    # Validated on load: a broken file fails the first request (and the tests), not a client.
    return json.dumps(json.loads(OPENAPI_FILE.read_text("utf-8")), ensure_ascii=False).encode("utf-8")


def openapi(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD"
        return response
    return HttpResponse(_openapi_bytes(), content_type="application/json; charset=utf-8")


def not_found(request: HttpRequest, path: str) -> HttpResponse:
    fmt = Format.JSON if path.endswith(".json") else Format.XML
    return render_errors(fmt, 404, [(404, "没有这个 Open311 资源（见 discovery.xml）")])
