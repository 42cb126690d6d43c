"""The work-order endpoints of /api/v1/ (shapes in cases.schemas).

Reads go through `Case.objects.restrict(user, "view")`; every write goes through
cases.actions, whose errors (cases.errors) the API maps to HTTP codes and one error shape
(civicgrid.api.errors). Nothing here decides who may do what.
"""

import dataclasses
import json
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from ninja import Query, Router, Status

from civicgrid.core import privacy
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.db_router import reading_from_replica
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from . import actions, deadlines, metrics, workflow
from .actions import CaseInput
from .choices import CaseAction, CaseStatus, Channel, RequestType
from .errors import InvalidInput, NotFound
from .models import Assignment, Case, CaseEvent, Category
from .schemas import (
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CasePage,
    CategoryOut,
    ErrorOut,
    MetricsOut,
    Reveal,
)

router = Router(tags=["cases"])

CASE_RELATED = ("category", "street", "residential_area", "grid", "lead_unit", "master")
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
# Parameters the JSON API cannot carry (files go through the web and mobile pages).
UNSUPPORTED_PARAMETERS = frozenset({"photos"})
# Documented error statuses (every error has the ErrorOut shape).
READ_ERRORS: dict[Any, Any] = {frozenset({400, 401, 404}): ErrorOut}
WRITE_ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409}): ErrorOut}


# ---------------------------------------------------------------------------- output


def _area(area: Area | None) -> dict[str, str] | None:
    return {"code": area.code, "name": area.name} if area is not None else None


def case_out(case: Case, user: Any) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "version": case.version,
        "request_type": case.request_type,
        "category": {"code": case.category.code, "name": case.category.name},
        "channel": case.channel,
        "urgency": case.urgency,
        "title": case.title,
        "description": case.description,
        "address": case.address,
        "lon": case.lon,
        "lat": case.lat,
        "street": _area(case.street),
        "residential_area": _area(case.residential_area),
        "grid": _area(case.grid),
        "lead_unit": {"id": case.lead_unit.pk, "name": case.lead_unit.name} if case.lead_unit else None,
        "master": case.master.number if case.master else None,
        "received_at": case.received_at,
        "response_due_at": case.response_due_at,
        "handling_due_at": case.handling_due_at,
        "responded_at": case.responded_at,
        "handled_at": case.handled_at,
        "closed_at": case.closed_at,
        "is_overdue": case.is_overdue,
        "escalation_level": case.escalation_level,
        "dispute_level": case.dispute_level,
        # Masked for everyone; the full phone only through GET /cases/{ref}?reveal=phone.
        "reporter": privacy.reporter_view(
            case.reporter_name,
            case.reporter_phone,
            case.reporter_anonymous,
            desk=privacy.may_reveal_phone(user),
        ),
        "source": case.source,
        "external_id": case.external_id,
    }


def _with_details(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related(*CASE_RELATED).prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.select_related("unit").order_by("dispatched_at", "id"),
        ),
        Prefetch("events", queryset=CaseEvent.objects.select_related("unit").order_by("at", "id")),
    )


def detail_out(case: Case, user: Any) -> dict[str, Any]:
    """The case with its units' parts, its timeline and what this user may do next.
    `case` must come from _with_details() (the workflow guards reuse the prefetched assignments)."""
    out = case_out(case, user)
    out["assignments"] = [
        {
            "unit": {"id": a.unit.pk, "name": a.unit.name},
            "role": a.role,
            "status": a.status,
            "dispatched_at": a.dispatched_at,
            "signed_at": a.signed_at,
            "handled_at": a.handled_at,
            "returned_at": a.returned_at,
            "handling_due_at": a.handling_due_at,
            "feedback": a.feedback,
            "return_reason": a.return_reason,
        }
        for a in case.assignments.all()
    ]
    out["timeline"] = [
        {
            "action": e.action,
            "action_label": e.get_action_display(),
            "at": e.at,
            "actor_label": e.actor_label,
            "unit": e.unit.name if e.unit else None,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "note": e.note,
        }
        for e in case.events.all()
    ]
    out["allowed_actions"] = [
        {
            "action": name,
            "label": str(CaseAction(name).label),
            "parameters": [p for p in actions.action_parameters(name) if p not in UNSUPPORTED_PARAMETERS],
        }
        for name in workflow.allowed_actions(case, user)
    ]
    return out


def _visible(user: Any) -> QuerySet[Case]:
    return Case.objects.restrict(user, Action.VIEW)


def _lookup(qs: QuerySet[Case], ref: str) -> Case:
    """By id (digits) or by number; NotFound (404) also for cases outside the scope."""
    # Ids are 64-bit at most; a longer run of digits can only be a number (and would overflow).
    is_id = ref.isdigit() and len(ref) <= 18
    found = qs.filter(pk=int(ref)).first() if is_id else qs.filter(number=ref).first()
    if found is None:
        raise NotFound("工单不存在或不在你的管辖范围内")
    return found


# ---------------------------------------------------------------------------- input helpers


def _local(value: datetime) -> datetime:
    # A time without an offset is Beijing time: that is what every source in the street means.
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _received_q(value: str | None, field: str, *, end: bool) -> Q:
    """A bound on received_at: a date means the whole day (from its start, or up to and
    including its end); a datetime is taken as it is (inclusive)."""
    text = (value or "").strip()
    if not text:
        return Q()
    try:
        day = parse_date(text)
        moment = None if day else parse_datetime(text)
    except ValueError:
        day = moment = None
    if day is not None:
        start = timezone.make_aware(datetime.combine(day, time.min))
        return Q(received_at__lt=start + timedelta(days=1)) if end else Q(received_at__gte=start)
    if moment is None:
        raise InvalidInput(f"{field}“{value}”无效，应为 YYYY-MM-DD 或 ISO 8601 时间", {field: "invalid"})
    return Q(received_at__lte=_local(moment)) if end else Q(received_at__gte=_local(moment))


def _statuses(values: list[str] | None) -> list[str]:
    wanted = [part.strip() for value in (values or []) for part in value.split(",") if part.strip()]
    unknown = [s for s in wanted if s not in CaseStatus.values]
    if unknown:
        allowed = ", ".join(CaseStatus.values)
        raise InvalidInput(f"状态 {', '.join(unknown)} 无效，可选：{allowed}", {"status": "invalid_choice"})
    return wanted


def _category_branch(code: str) -> Q:
    """The category and all its descendants (the tree is a few levels deep; one join per level)."""
    if not Category.objects.filter(code=code).exists():
        raise InvalidInput(f"问题分类“{code}”不存在", {"category": "unknown"})
    q = Q()
    for depth in range(4):
        q |= Q(**{"category" + "__parent" * depth + "__code": code})
    return q


# ---------------------------------------------------------------------------- cases


@router.post("/cases", response={201: CaseOut, **WRITE_ERRORS}, summary="登记工单")
def create_case(request: Any, payload: CaseIn) -> Status[dict[str, Any]]:
    """Registers a case through `actions.create_case`: locates it, numbers it, routes it and
    computes its deadlines. A location outside the caller's streets is refused (400)."""
    user = request.auth
    data = payload.dict()
    for name in ("request_type", "channel", "urgency"):
        data[name] = str(getattr(data[name], "value", data[name]))
    if data["received_at"] is not None:
        data["received_at"] = _local(data["received_at"])
    with acting_as(user, "api"):
        case = actions.create_case(CaseInput(**data), user, via="api")
    return Status(201, case_out(Case.objects.select_related(*CASE_RELATED).get(pk=case.pk), user))


@router.get("/cases", response={200: CasePage, **READ_ERRORS}, summary="工单列表")
def list_cases(
    request: Any,
    status: Annotated[
        list[str] | None, Query(description="状态，可重复或逗号分隔：status=new&status=filed")
    ] = None,
    street: Annotated[str | None, Query(description="街道编码")] = None,
    grid: Annotated[str | None, Query(description="网格编码")] = None,
    category: Annotated[str | None, Query(description="问题分类编码（含下级分类）")] = None,
    overdue: Annotated[bool | None, Query(description="true：已超期；false：未超期")] = None,
    received_from: Annotated[str | None, Query(description="受理时间起（日期或 ISO 8601 时间，含）")] = None,
    received_to: Annotated[str | None, Query(description="受理时间止（含；日期则含当天）")] = None,
    channel: Annotated[Channel | None, Query()] = None,
    request_type: Annotated[RequestType | None, Query()] = None,
    q: Annotated[str | None, Query(description="编号、标题、内容、地址中的文字")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    user = request.auth
    qs = _visible(user)
    wanted = _statuses(status)
    if wanted:
        qs = qs.filter(status__in=wanted)
    if street:
        qs = qs.filter(street__code=street)
    if grid:
        qs = qs.filter(grid__code=grid)
    if category:
        qs = qs.filter(_category_branch(category))
    if overdue is not None:
        qs = qs.filter(is_overdue=overdue)
    qs = qs.filter(_received_q(received_from, "received_from", end=False))
    qs = qs.filter(_received_q(received_to, "received_to", end=True))
    if channel:
        qs = qs.filter(channel=channel)
    if request_type:
        qs = qs.filter(request_type=request_type)
    text = (q or "").strip()
    if text:
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(title__icontains=text)
            | Q(description__icontains=text)
            | Q(address__icontains=text)
        )
    count = qs.count()
    offset = (page - 1) * page_size
    rows = list(qs.select_related(*CASE_RELATED).order_by("-received_at", "-id")[offset : offset + page_size])
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "results": [case_out(case, user) for case in rows],
    }


@router.get("/cases/{ref}", response={200: CaseDetailOut, **READ_ERRORS}, summary="工单详情")
def get_case(
    request: Any,
    ref: str,
    reveal: Annotated[
        Reveal | None,
        Query(description="phone：调度员和管理员取完整的诉求人电话（每次都记入个人信息查看记录）"),
    ] = None,
) -> dict[str, Any]:
    """`ref` is the case id or its number. Cases outside the caller's scope are 404.
    The reporter's phone is masked unless `reveal=phone` is asked by a role that needs it
    (dispatchers, administrators); each such read is logged. Other roles get the masked
    phone, and nothing is logged."""
    user = request.auth
    case = _lookup(_with_details(_visible(user)), ref)
    out = detail_out(case, user)
    if reveal == Reveal.PHONE and privacy.may_reveal_phone(user) and case.reporter_phone:
        out["reporter"]["phone"] = privacy.reveal(
            user,
            case,
            privacy.PersonalField.REPORTER_PHONE,
            case.reporter_phone,
            privacy.RevealVia.API,
        )
    return out


@router.post(
    "/cases/{ref}/actions/{action}",
    response={200: CaseDetailOut, **WRITE_ERRORS},
    summary="执行工单操作",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": True,
                        "description": "操作参数（见详情中 allowed_actions[].parameters），可带 version",
                        "example": {"version": 3, "note": "已电话联系"},
                    }
                }
            },
        }
    },
)
def run_action(request: Any, ref: str, action: str) -> dict[str, Any]:
    """Runs `action` (file, dispatch, sign, report_back, verify_pass, close, callback, …)
    with the JSON object in the body as its parameters. Pass the `version` you read to be
    told (409) if someone changed the case in between. 409 also when the action is not
    allowed from the case's current state; 403 when the caller's role may not take it."""
    user = request.auth
    params = _json_object(request)
    unsupported = sorted(UNSUPPORTED_PARAMETERS & set(params))
    if unsupported:
        raise InvalidInput(
            "接口不支持上传照片，请在网页或手机页面上传", dict.fromkeys(unsupported, "unsupported")
        )
    with acting_as(user, "api"):
        case = actions.run_action(ref, action, user, params)
    # Fetched by key, not through restrict(): the caller has just acted on this case, and
    # an action may move it out of their sight (a unit returning it) without undoing that.
    return detail_out(_with_details(Case.objects.filter(pk=case.pk)).get(), user)


def _json_object(request: Any) -> dict[str, Any]:
    raw = request.body or b""
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("请求体不是有效的 JSON", {"body": "invalid"}) from None
    if not isinstance(data, dict):
        raise InvalidInput("请求体须为 JSON 对象（参数名 → 值）", {"body": "invalid"})
    return data


# ---------------------------------------------------------------------------- categories


def _deadline_rule(category: Category, request_type: str) -> dict[str, int | None]:
    """What deadlines.compute() applies to a normal-urgency case of this category and type."""
    return dataclasses.asdict(deadlines.rule(category, request_type))


@router.get("/categories", response={200: list[CategoryOut], **READ_ERRORS}, summary="问题分类")
def list_categories(request: Any) -> list[dict[str, Any]]:
    """Active categories with their parent's code and the default deadlines per request type."""
    everything = Category.objects.restrict(request.auth, Action.VIEW).order_by("code").linked()
    by_id = {c.pk: c for c in everything}
    return [
        {
            "code": c.code,
            "name": c.name,
            "parent": by_id[c.parent_id].code if c.parent_id in by_id else None,
            "kind": c.kind,
            "default_request_type": c.default_request_type or None,
            "is_emergency": c.emergency,
            "deadlines": {rt: _deadline_rule(c, rt) for rt in RequestType.values},
        }
        for c in everything
        if c.is_active
    ]


# ---------------------------------------------------------------------------- metrics

METRIC_FIELDS = {"date_from": "from", "date_to": "to"}


@router.get("/metrics", response={200: MetricsOut, **READ_ERRORS}, summary="三率与工单统计")
def get_metrics(
    request: Any,
    street: Annotated[str | None, Query(description="街道编码")] = None,
    date_from: Annotated[date | None, Query(alias="from", description="受理日期起（含）")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="受理日期止（含）")] = None,
    group_by: Annotated[
        str, Query(description="street | residential_area | grid | unit | category")
    ] = "street",
    category: Annotated[str | None, Query(description="问题分类编码（含下级分类）")] = None,
) -> dict[str, Any]:
    """The figures of cases.metrics over the caller's scope (definitions: docs/metrics.md)."""
    return metrics_payload(request.auth, metrics, street, date_from, date_to, group_by, category)


def metrics_payload(
    user: Any,
    source: Any,
    street: str | None,
    date_from: date | None,
    date_to: date | None,
    group_by: str,
    category: str | None,
) -> dict[str, Any]:
    """One answer shape for every metrics endpoint: `source` is a module with compute() and
    summary() of cases.metrics' signature (cases.metrics live, insights.metrics from rollups)."""
    area = None
    if street:
        area = Area.objects.filter(kind=AreaKind.STREET, code=street).first()
        if area is None:
            raise InvalidInput(f"街道编码“{street}”不存在", {"street": "unknown"})
    try:
        with reading_from_replica():  # a dashboard read: replication lag is fine
            rows = source.compute(
                user, street=area, date_from=date_from, date_to=date_to, group_by=group_by, category=category
            )
            total = source.summary(user, street=area, date_from=date_from, date_to=date_to, category=category)
    except InvalidInput as exc:
        # Name the query parameters as the client wrote them.
        exc.fields = {METRIC_FIELDS.get(k, k): v for k, v in exc.fields.items()}
        raise
    return {
        "group_by": group_by,
        "street": street,
        "date_from": date_from.isoformat() if date_from else None,
        "date_to": date_to.isoformat() if date_to else None,
        "results": rows,
        "total": total,
    }
