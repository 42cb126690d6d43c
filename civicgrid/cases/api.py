"""The work-order endpoints of /api/v1/ (shapes in cases.schemas).

Reads go through `Case.objects.restrict(user, "view")`; every write goes through
cases.actions, whose errors (cases.errors) the API maps to HTTP codes and one error shape
(civicgrid.api.errors). Nothing here decides who may do what.

Lists use the pagination of core.pagination; the case detail answers with an ETag (core.rest)
and honours If-None-Match (304); actions and the photo upload honour If-Match (412).
"""

import dataclasses
import json
import mimetypes
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from ninja import File, Form, Query, Router, Status, UploadedFile

from civicgrid.core import privacy
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.db_router import reading_from_replica
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageSize, paginate
from civicgrid.core.rest import (
    MAX_ID,
    NOT_MODIFIED,
    READ_ERRORS,
    WRITE_ERRORS,
    check_if_match,
    get_by_id,
    make_etag,
    not_modified,
)
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from . import actions, deadlines, metrics, workflow
from .actions import CaseInput, actor_label
from .choices import CaseAction, CaseStatus, Channel, PhotoStage, RequestType
from .errors import InvalidInput, NotFound
from .models import (
    Assignment,
    Callback,
    Case,
    CaseEvent,
    Category,
    DutyRule,
    ExtensionRequest,
    Notification,
    Photo,
    Supervision,
)
from .schemas import (
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CasePage,
    CategoryOut,
    DutyOut,
    DutyPage,
    EventPage,
    MetricsOut,
    NotificationOut,
    NotificationPage,
    PhotoPage,
    PhotoUploadOut,
    ReadAllOut,
    Reveal,
)

router = Router(tags=["cases"])

CASE_RELATED = ("category", "street", "residential_area", "grid", "lead_unit", "master")
# Parameters the JSON body of an action cannot carry: files go through POST /cases/{ref}/photos.
UNSUPPORTED_PARAMETERS = frozenset({"photos"})
# One upload at most (each file up to CIVICGRID_PHOTO_MAX_BYTES).
MAX_PHOTOS_PER_UPLOAD = 9


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


def _annotated(qs: QuerySet[Case]) -> QuerySet[Case]:
    """The case row with what its ETag needs: related rows, and the newest timeline row (writers
    that add one without bumping the version, such as the response-overdue check, still change
    the tag)."""
    newest = CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-id").values("id")[:1]
    return qs.select_related(*CASE_RELATED).annotate(last_event_id=Subquery(newest))


def _detail_prefetches(user: Any) -> list[Prefetch]:
    return [
        Prefetch(
            "assignments", queryset=Assignment.objects.select_related("unit").order_by("dispatched_at", "id")
        ),
        Prefetch("events", queryset=CaseEvent.objects.select_related("unit").order_by("at", "id")),
        Prefetch(
            "photos", queryset=Photo.objects.select_related("uploaded_by").order_by("uploaded_at", "id")
        ),
        Prefetch("callbacks", queryset=Callback.objects.select_related("by").order_by("at", "id")),
        Prefetch(
            "supervisions", queryset=Supervision.objects.select_related("by", "unit").order_by("-at", "-id")
        ),
        Prefetch(
            "extensions",
            queryset=ExtensionRequest.objects.select_related("unit", "requested_by", "decided_by").order_by(
                "-requested_at", "-id"
            ),
        ),
        # Followers merged into this case, as far as the reader may see them.
        Prefetch(
            "merged_cases",
            queryset=Case.objects.restrict(user, Action.VIEW)
            .only("id", "number", "master_id")
            .order_by("number"),
            to_attr="visible_merged",
        ),
    ]


def _with_details(qs: QuerySet[Case], user: Any) -> QuerySet[Case]:
    return _annotated(qs).prefetch_related(*_detail_prefetches(user))


def case_etag(case: Case, user: Any, *options: Any) -> str:
    """The tag of the detail body of `case` (from _annotated()) for this reader: the version,
    the newest timeline row, the rows it names, and the reader (allowed_actions and masking
    depend on them)."""
    return make_etag(
        case,
        getattr(case, "last_event_id", None),
        case.category,
        case.street,
        case.residential_area,
        case.grid,
        case.lead_unit,
        getattr(user, "pk", None),
        *options,
    )


def _label(user: Any) -> str | None:
    return actor_label(user) if user is not None else None


def event_out(e: CaseEvent) -> dict[str, Any]:
    return {
        "id": e.pk,
        "action": e.action,
        "action_label": e.get_action_display(),
        "at": e.at,
        "actor_label": e.actor_label,
        "unit": e.unit.name if e.unit else None,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "note": e.note,
    }


def photo_out(photo: Photo, case: Case, request: Any) -> dict[str, Any]:
    url = request.build_absolute_uri(
        reverse("api:case_photo", kwargs={"ref": case.number, "photo_id": photo.pk})
    )
    return {
        "id": photo.pk,
        "stage": photo.stage,
        "stage_label": photo.get_stage_display(),
        "width": photo.width,
        "height": photo.height,
        "uploaded_at": photo.uploaded_at,
        "uploaded_by": _label(photo.uploaded_by),
        "event": photo.event_id,
        "url": url,
        "thumbnail_url": f"{url}?size=thumb",
    }


def _unit_ref(unit: Unit | None) -> dict[str, Any] | None:
    return {"id": unit.pk, "name": unit.name} if unit is not None else None


def detail_out(case: Case, user: Any, request: Any) -> dict[str, Any]:
    """The case with its units' parts, its timeline, photos, callbacks, supervision and
    extension records, and what this user may do next. `case` must come from _with_details()
    or have _detail_prefetches() applied (the workflow guards reuse the prefetched assignments)."""
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
    out["timeline"] = [event_out(e) for e in case.events.all()]
    out["allowed_actions"] = [
        {
            "action": name,
            "label": str(CaseAction(name).label),
            "parameters": [p for p in actions.action_parameters(name) if p not in UNSUPPORTED_PARAMETERS],
        }
        for name in workflow.allowed_actions(case, user)
    ]
    out["photos"] = [photo_out(p, case, request) for p in case.photos.all()]
    out["callbacks"] = [
        {
            "at": c.at,
            "by": _label(c.by),
            "contacted": c.contacted,
            "resolution": c.resolution,
            "resolution_label": c.get_resolution_display(),
            "satisfaction": c.satisfaction,
            "satisfaction_label": c.get_satisfaction_display(),
            "note": c.note,
        }
        for c in case.callbacks.all()
    ]
    out["supervisions"] = [
        {
            "kind": s.kind,
            "kind_label": s.get_kind_display(),
            "at": s.at,
            "by": _label(s.by),
            "unit": _unit_ref(s.unit),
            "note": s.note,
        }
        for s in case.supervisions.all()
    ]
    out["extensions"] = [
        {
            "unit": _unit_ref(x.unit),
            "requested_at": x.requested_at,
            "requested_by": _label(x.requested_by),
            "working_days": x.working_days,
            "reason": x.reason,
            "status": x.status,
            "status_label": x.get_status_display(),
            "decided_at": x.decided_at,
            "decided_by": _label(x.decided_by),
            "decision_note": x.decision_note,
            "old_due_at": x.old_due_at,
            "new_due_at": x.new_due_at,
        }
        for x in case.extensions.all()
    ]
    out["merged_cases"] = [c.number for c in getattr(case, "visible_merged", [])]
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
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
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
    qs = qs.select_related(*CASE_RELATED).order_by("-received_at", "-id")
    return paginate(qs, page, page_size, lambda case: case_out(case, user))


@router.get("/cases/{ref}", response={200: CaseDetailOut, **NOT_MODIFIED, **READ_ERRORS}, summary="工单详情")
def get_case(
    request: Any,
    response: HttpResponse,
    ref: str,
    reveal: Annotated[
        Reveal | None,
        Query(description="phone：调度员和管理员取完整的诉求人电话（每次都记入个人信息查看记录）"),
    ] = None,
) -> Any:
    """`ref` is the case id or its number. Cases outside the caller's scope are 404.
    The reporter's phone is masked unless `reveal=phone` is asked by a role that needs it
    (dispatchers, administrators); each such read is logged. Other roles get the masked
    phone, and nothing is logged.

    Answers with an ETag; a matching If-None-Match gets 304 before the timeline and the other
    records are even read. A `reveal=phone` read is never a 304: each one is logged."""
    user = request.auth
    case = _lookup(_annotated(_visible(user)), ref)
    revealing = reveal == Reveal.PHONE
    fresh = not_modified(request, response, case_etag(case, user, *(["reveal"] if revealing else [])))
    if fresh and not revealing:
        return Status(304, None)
    if revealing:
        response["Cache-Control"] = "private, no-store"  # a full phone number is kept nowhere
    prefetch_related_objects([case], *_detail_prefetches(user))
    out = detail_out(case, user, request)
    if revealing and privacy.may_reveal_phone(user) and case.reporter_phone:
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
def run_action(request: Any, response: HttpResponse, ref: str, action: str) -> dict[str, Any]:
    """Runs `action` (file, dispatch, sign, report_back, verify_pass, close, callback, …)
    with the JSON object in the body as its parameters. Pass the `version` you read, or the
    detail's ETag in `If-Match`, to be told if someone changed the case in between (409 for
    a stale version, 412 `precondition_failed` for a stale ETag). 409 also when the action is
    not allowed from the case's current state; 403 when the caller's role may not take it.
    The answer is the case after the action, with its new ETag."""
    user = request.auth
    params = _json_object(request)
    unsupported = sorted(UNSUPPORTED_PARAMETERS & set(params))
    if unsupported:
        raise InvalidInput(
            "操作参数不能带照片，请用 POST /cases/{ref}/photos（multipart）上传",
            dict.fromkeys(unsupported, "unsupported"),
        )
    version = _if_match_version(request, user, ref)
    if version is not None:
        params.setdefault("version", version)
    with acting_as(user, "api"):
        case = actions.run_action(ref, action, user, params)
    # Fetched by key, not through restrict(): the caller has just acted on this case, and
    # an action may move it out of their sight (a unit returning it) without undoing that.
    after = _with_details(Case.objects.filter(pk=case.pk), user).get()
    response["ETag"] = case_etag(after, user)
    return detail_out(after, user, request)


def _if_match_version(request: Any, user: Any, ref: str) -> int | None:
    """With an If-Match header: 412 unless it names the case's current ETag, else the version
    it stands for, which the action then checks again inside its transaction (a change in
    between is the action's 409). None without the header."""
    if "If-Match" not in request.headers:
        return None
    case = _lookup(_annotated(_visible(user)), ref)
    check_if_match(request, case_etag(case, user))
    return case.version


def _json_object(request: Any) -> dict[str, Any]:
    raw = request.body or b""
    if not raw.strip():
        return {}
    data = json.loads(raw)  # api.guards has refused bodies that are not UTF-8 JSON (400)
    if not isinstance(data, dict):
        raise InvalidInput("请求体须为 JSON 对象（参数名 → 值）", {"body": "invalid"})
    return data


# ---------------------------------------------------------------------------- timeline and photos


def _case_for_records(user: Any, ref: str) -> Case:
    # Just the row: the records below are read through their own restrict().
    return _lookup(_visible(user).select_related("street"), ref)


@router.get("/cases/{ref}/events", response={200: EventPage, **READ_ERRORS}, summary="工单动态（时间线）")
def list_events(
    request: Any,
    ref: str,
    action: Annotated[CaseAction | None, Query(description="只看这一种动作")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The case's timeline, oldest first (the detail carries it whole; this pages through it)."""
    user = request.auth
    case = _case_for_records(user, ref)
    qs = CaseEvent.objects.restrict(user, Action.VIEW).filter(case=case).select_related("unit")
    if action:
        qs = qs.filter(action=action)
    return paginate(qs.order_by("at", "id"), page, page_size, event_out)


def _photos(user: Any, case: Case) -> QuerySet[Photo]:
    return Photo.objects.restrict(user, Action.VIEW).filter(case=case).select_related("uploaded_by")


@router.get("/cases/{ref}/photos", response={200: PhotoPage, **READ_ERRORS}, summary="工单照片列表")
def list_photos(
    request: Any,
    ref: str,
    stage: Annotated[PhotoStage | None, Query(description="before 处置前 / after 处置后")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Each photo with the URLs of the file and its thumbnail; both need the same token
    (photos are never public files)."""
    user = request.auth
    case = _case_for_records(user, ref)
    qs = _photos(user, case)
    if stage:
        qs = qs.filter(stage=stage)
    return paginate(qs.order_by("uploaded_at", "id"), page, page_size, lambda p: photo_out(p, case, request))


IMAGE_RESPONSE = {
    "responses": {
        "200": {
            "description": "照片文件（EXIF 已去除）",
            "content": {
                f"image/{kind}": {"schema": {"type": "string", "format": "binary"}}
                for kind in ("jpeg", "png", "webp")
            },
        }
    }
}


@router.get(
    "/cases/{ref}/photos/{photo_id}",
    response={**NOT_MODIFIED, **READ_ERRORS},
    summary="下载工单照片",
    url_name="case_photo",
    openapi_extra=IMAGE_RESPONSE,
)
def get_photo(
    request: Any,
    response: HttpResponse,
    ref: str,
    photo_id: int,
    size: Annotated[Literal["full", "thumb"], Query(description="full 原图 / thumb 缩略图")] = "full",
) -> Any:
    """The file itself, only to callers who may see the case (404 otherwise, as for the case).
    The bytes never change, so the ETag lets clients keep them: If-None-Match → 304."""
    user = request.auth
    case = _case_for_records(user, ref)
    photo = get_by_id(_photos(user, case), photo_id)
    field = photo.thumbnail if size == "thumb" and photo.thumbnail else photo.image
    if not_modified(request, response, make_etag(photo, field.name)):
        return Status(304, None)
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotFound("照片文件不存在") from None
    content_type = mimetypes.guess_type(field.name or "")[0] or "application/octet-stream"
    served = FileResponse(handle, content_type=content_type)
    served["ETag"] = response["ETag"]
    served["Cache-Control"] = "private, max-age=3600"
    return served


@router.post(
    "/cases/{ref}/photos",
    response={201: PhotoUploadOut, **WRITE_ERRORS},
    summary="上传工单照片",
)
def upload_photos(
    request: Any,
    ref: str,
    photos: Annotated[
        list[UploadedFile],
        File(description=f"照片文件（JPEG/PNG/WebP，可多张，最多 {MAX_PHOTOS_PER_UPLOAD} 张）"),
    ],
    stage: Annotated[PhotoStage, Form(description="before 处置前（现场）/ after 处置后")] = PhotoStage.AFTER,
    note: Annotated[str, Form(description="说明（写入工单动态；缺省为“上传了 N 张…照片”）")] = "",
    version: Annotated[int | None, Form(description="读到的版本号，过期则 409")] = None,
) -> Status[dict[str, Any]]:
    """multipart/form-data upload through `actions.add_photos`: every file is validated first
    (an invalid one is a 400 naming `photos`, and nothing is written), then the photos, one
    timeline row and the version bump are written in one transaction. Any staff role that
    sees the case may upload; honours If-Match like the actions."""
    user = request.auth
    if len(photos) > MAX_PHOTOS_PER_UPLOAD:
        raise InvalidInput(f"一次最多上传 {MAX_PHOTOS_PER_UPLOAD} 张照片", {"photos": "too_many"})
    matched = _if_match_version(request, user, ref)
    with acting_as(user, "api"):
        event = actions.add_photos(
            ref,
            user,
            photos=list(photos),
            stage=stage,
            note=note,
            version=version if version is not None else matched,
        )
    case = event.case
    return Status(
        201,
        {
            "version": case.version,
            "event": event_out(event),
            "photos": [
                photo_out(p, case, request) for p in event.photos.select_related("uploaded_by").order_by("id")
            ],
        },
    )


# ---------------------------------------------------------------------------- duty table


def duty_out(rule: DutyRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "category": {"code": rule.category.code, "name": rule.category.name},
        "area": {"code": rule.area.code, "name": rule.area.name},
        "area_kind": rule.area.kind,
        "lead_unit": _unit_ref(rule.lead_unit),
        "co_units": [_unit_ref(u) for u in rule.co_units.all()],
        "is_active": rule.is_active,
        "note": rule.note,
        "updated_at": rule.updated_at,
    }


def _duties(user: Any) -> QuerySet[DutyRule]:
    return (
        DutyRule.objects.restrict(user, Action.VIEW)
        .select_related("category", "area", "lead_unit")
        .defer("area__geometry")
        .prefetch_related(Prefetch("co_units", queryset=Unit.objects.order_by("name", "id")))
    )


@router.get("/duties", response={200: DutyPage, **READ_ERRORS}, summary="职责分工（派单规则）")
def list_duties(
    request: Any,
    category: Annotated[
        str | None, Query(description="问题分类编码（仅该分类的规则，与分类页面一致）")
    ] = None,
    area: Annotated[str | None, Query(description="区域编码（规则所在的区域）")] = None,
    unit: Annotated[int | None, Query(description="单位 id：作为主办或协办")] = None,
    active: Annotated[bool | None, Query(description="true：启用；false：停用")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The duty table of the caller's streets: in this area, this category goes to this lead
    unit plus co-handlers. Routing takes the most specific area, then category."""
    qs = _duties(request.auth)
    if category:
        qs = qs.filter(category__code=category)
    if area:
        qs = qs.filter(area__code=area)
    if unit is not None and 0 < unit <= MAX_ID:
        co_handled = DutyRule.objects.filter(co_units=unit).values("pk")
        qs = qs.filter(Q(lead_unit_id=unit) | Q(pk__in=co_handled))
    elif unit is not None:
        qs = qs.none()  # no unit has such an id (and the database's integer could not hold it)
    if active is not None:
        qs = qs.filter(is_active=active)
    return paginate(qs.order_by("area__code", "category__code", "id"), page, page_size, duty_out)


@router.get(
    "/duties/{duty_id}", response={200: DutyOut, **NOT_MODIFIED, **READ_ERRORS}, summary="职责分工详情"
)
def get_duty(request: Any, response: HttpResponse, duty_id: int) -> Any:
    rule = get_by_id(_duties(request.auth), duty_id)
    co_units = list(rule.co_units.all())
    tag = make_etag(rule, rule.category, rule.area, rule.lead_unit, *co_units, [u.pk for u in co_units])
    if not_modified(request, response, tag):
        return Status(304, None)
    return duty_out(rule)


# ---------------------------------------------------------------------------- inbox


def notification_out(note: Notification) -> dict[str, Any]:
    return {
        "id": note.pk,
        "kind": note.kind,
        "kind_label": note.get_kind_display(),
        "text": note.text,
        # case_number: annotated by _inbox() and mark_notification_read(); None for other objects.
        "case": {"id": note.object_id, "number": note.case_number} if note.case_number else None,  # type: ignore[attr-defined]
        "created_at": note.created_at,
        "read_at": note.read_at,
    }


def _inbox(user: Any) -> QuerySet[Notification]:
    return (
        Notification.objects.restrict(user, Action.VIEW)
        .annotate(case_number=F("case__number"))
        .only("id", "kind", "text", "created_at", "read_at", "object_id")
    )


@router.get("/notifications", response={200: NotificationPage, **READ_ERRORS}, summary="我的通知")
def list_notifications(
    request: Any,
    unread: Annotated[bool | None, Query(description="true：只看未读；false：只看已读")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The caller's own inbox (the web page's 通知), newest first."""
    qs = _inbox(request.auth)
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return paginate(qs.order_by("-created_at", "-id"), page, page_size, notification_out)


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **WRITE_ERRORS},
    summary="标记通知为已读",
)
def read_notification(request: Any, notification_id: int) -> dict[str, Any]:
    """Idempotent: reading an already read notice keeps its first read time."""
    return notification_out(actions.mark_notification_read(request.auth, notification_id))


@router.post("/notifications/read-all", response={200: ReadAllOut, **WRITE_ERRORS}, summary="全部标为已读")
def read_all_notifications(request: Any) -> dict[str, Any]:
    return {"updated": actions.mark_all_notifications_read(request.auth)}


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
    """One answer shape for every metrics endpoint: `source` is a module with compute() of
    cases.metrics' signature (cases.metrics live, insights.metrics from rollups)."""
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
        "total": metrics.total_of(rows),  # = source.summary() of the same filters, without its query
    }
