"""Venues and activities under /api/v1/community/: the venues (list, one with its rooms and
hours), the activities (list with the page's filter, one, create a draft, every step of its
machine with the version checked — sign up, cancel a sign-up, check in… —) and an activity's
sign-ups (a resident's token: only their own; phones always masked)."""

from datetime import date, datetime
from enum import Enum
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from civicgrid.core import capabilities
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, NotFound
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    AreaRef,
    action_bodies,
    action_endpoint,
    action_request_body,
    make_etag,
)
from civicgrid.geo.models import Area

from ..actions import activities as actions
from ..actions.frames import ACTIVITY_FRAME
from ..choices import ActivityCategory, ActivityStatus, Audience, ContactChannel, SignUpStatus, VenueKind
from ..filters.activities import ActivityFilterSet, VenueFilterSet, api_params
from ..models import Activity, SignUp, Venue
from ..querysets import OWN_ROWS_ONLY
from ..workflow import ACTIVITY_MACHINE

router = Router(tags=["community"])
VIEW = "community.view"


class RoomOut(Schema):
    id: int
    name: str
    capacity: int
    active: bool


class HoursOut(Schema):
    weekday: int = Field(description="0 星期一 … 6 星期日")
    opens: str
    closes: str


class VenueOut(Schema):
    id: int
    street: AreaRef
    area: AreaRef | None = Field(description="所属居民区；空：街道层面的场所（居民读者不显示）")
    kind: VenueKind
    kind_label: str
    name: str
    address: str
    phone: str = Field(description="场所的公开电话")
    accessible: bool
    active: bool
    version: int


class VenueDetailOut(VenueOut):
    description: str
    rooms: list[RoomOut]
    hours: list[HoursOut]


class VenuePage(PageOut):
    results: list[VenueOut]


class VenueFilters(Schema):
    kind: VenueKind | None = None
    q: str | None = Field(None, max_length=60, description="名称包含")


class VenueRef(Schema):
    id: int
    name: str


class ActivityOut(Schema):
    id: int
    street: AreaRef
    area: AreaRef | None = Field(description="所属居民区（居民读者不显示）")
    venue: VenueRef | None
    room: str
    place: str
    series: int | None
    title: str
    description: str
    category: ActivityCategory
    audience: Audience
    organiser: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    waiting_limit: int
    sign_up_closes_at: datetime | None
    confirmed: int = Field(description="已报名（正式）人数")
    waiting: int = Field(description="候补人数")
    status: ActivityStatus
    status_label: str
    walk_ins: int
    attendance: int | None
    version: int


class ActivityDetailOut(ActivityOut):
    actions: list[str] = Field(description="调用者现在可以执行的操作")


class ActivityPage(PageOut):
    results: list[ActivityOut]


class ActivityFilters(Schema):
    status: ActivityStatus | None = None
    category: ActivityCategory | None = None
    audience: Audience | None = None
    venue: int | None = Field(None, ge=1, le=MAX_ID, description="场所 id")
    date_from: date | None = Field(None, description="开始日期从（含）")
    date_to: date | None = Field(None, description="至（含）")
    q: str | None = Field(None, max_length=60, description="活动名称、主办方包含")


class ActivityIn(Schema):
    venue: int | None = Field(None, description="场所 id（活动的街道和居民区随场所）")
    room: int | None = Field(None, description="活动室 id（须为该场所的）")
    place: str = Field("", max_length=120, description="不在场所内举办时的地点")
    street: str | None = Field(None, description="街道编码（只在不选场所时需要）")
    title: str = Field(max_length=100)
    description: str = Field("", max_length=4000)
    category: ActivityCategory
    audience: Audience = Audience.EVERYONE
    organiser: str = Field(max_length=80)
    starts_at: datetime
    ends_at: datetime
    capacity: int = Field(ge=1, le=10000)
    waiting_limit: int | None = Field(None, ge=0, le=1000, description="空：按街道默认值")
    sign_up_closes_at: datetime | None = None


class SignUpOut(Schema):
    id: int
    name: str
    phone: str = Field(description="遮蔽显示")
    channel: ContactChannel
    status: SignUpStatus
    status_label: str
    waiting_position: int | None = Field(description="候补顺位")
    checked_in_at: datetime | None
    own: bool = Field(description="是否为调用者本人的报名")


class SignUpPage(PageOut):
    results: list[SignUpOut]


def _visible(user: Any, model: Any) -> QuerySet[Any]:
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看社区活动")
    return model.objects.restrict(user, Action.VIEW)  # type: ignore[no-any-return]


def _one(rows: QuerySet[Any], pk: int, missing: str) -> Any:
    found = rows.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise NotFound(missing)
    return found


def _hides_areas(user: Any) -> bool:
    """A resident reads the street's venues and activities, not the other committees' names."""
    return capabilities.may(user, OWN_ROWS_ONLY)


def _area(area: Any) -> dict[str, str] | None:
    return {"code": area.code, "name": area.name} if area is not None else None


def venue_out(venue: Venue, user: Any) -> dict[str, Any]:
    return {
        "id": venue.pk,
        "street": _area(venue.street),
        "area": None if _hides_areas(user) else _area(venue.area),
        "kind": venue.kind,
        "kind_label": venue.get_kind_display(),  # type: ignore[attr-defined]
        "name": venue.name,
        "address": venue.address,
        "phone": venue.phone,
        "accessible": venue.accessible,
        "active": venue.active,
        "version": venue.version,
    }


def _activities(user: Any) -> QuerySet[Activity]:
    return (
        _visible(user, Activity)
        .select_related("street", "area", "venue", "room")
        .annotate(
            confirmed=Count("sign_ups", filter=Q(sign_ups__status=SignUpStatus.CONFIRMED)),
            waiting=Count("sign_ups", filter=Q(sign_ups__status=SignUpStatus.WAITING)),
        )
        .order_by("-starts_at", "pk")
    )


def activity_out(activity: Any, user: Any, *, detail: bool = True) -> dict[str, Any]:
    out = {
        "id": activity.pk,
        "street": _area(activity.street),
        "area": None if _hides_areas(user) else _area(activity.area),
        "venue": {"id": activity.venue.pk, "name": activity.venue.name} if activity.venue else None,
        "room": activity.room.name if activity.room else "",
        "place": activity.place,
        "series": activity.series_id,
        "title": activity.title,
        "description": activity.description,
        "category": activity.category,
        "audience": activity.audience,
        "organiser": activity.organiser,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "capacity": activity.capacity,
        "waiting_limit": activity.waiting_limit,
        "sign_up_closes_at": activity.sign_up_closes_at,
        "confirmed": activity.confirmed,
        "waiting": activity.waiting,
        "status": activity.status,
        "status_label": activity.get_status_display(),
        "walk_ins": activity.walk_ins,
        "attendance": activity.attendance,
        "version": activity.version,
    }
    if detail:
        out["actions"] = ACTIVITY_MACHINE.allowed_actions(activity, user)
    return out


@router.get(
    "/venues",
    response={200: VenuePage, **READ_ERRORS},
    summary="活动场所",
    operation_id="community_list_venues",
)
def list_venues(
    request: Any, filters_: Query[VenueFilters], page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    user = request.auth
    rows = _visible(user, Venue).select_related("street", "area").order_by("kind", "name", "pk")
    qs = VenueFilterSet(api_params(filters_), rows, user=user).checked()
    return paginate(qs, page, page_size, lambda v: venue_out(v, user))


@router.get(
    "/venues/{venue_id}",
    response={200: VenueDetailOut, **READ_ERRORS},
    summary="场所详情（活动室、开放时间）",
    operation_id="community_get_venue",
)
def get_venue(request: Any, response: HttpResponse, venue_id: int) -> dict[str, Any]:
    user = request.auth
    rows = _visible(user, Venue).select_related("street", "area")
    venue = _one(rows, venue_id, "场所不存在或不在你的管辖范围内")
    response["ETag"] = make_etag(venue, user.pk)
    return {
        **venue_out(venue, user),
        "description": venue.description,
        "rooms": [
            {"id": r.pk, "name": r.name, "capacity": r.capacity, "active": r.active}
            for r in venue.rooms.order_by("name")
        ],
        "hours": [
            {"weekday": h.weekday, "opens": h.opens.strftime("%H:%M"), "closes": h.closes.strftime("%H:%M")}
            for h in venue.hours.order_by("weekday", "opens")
        ],
    }


@router.get(
    "/activities",
    response={200: ActivityPage, **READ_ERRORS},
    summary="社区活动",
    operation_id="community_list_activities",
)
def list_activities(
    request: Any,
    filters_: Query[ActivityFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The caller's activities (a resident: the published ones of their street), latest first;
    the same parameters as the activities page."""
    user = request.auth
    qs = ActivityFilterSet(api_params(filters_), _activities(user), user=user).checked()
    return paginate(qs, page, page_size, lambda a: activity_out(a, user, detail=False))


@router.post(
    "/activities",
    response={201: ActivityDetailOut, **WRITE_ERRORS},
    summary="登记活动（草拟）",
    operation_id="community_create_activity",
)
def post_activity(request: Any, body: ActivityIn) -> Status[dict[str, Any]]:
    user = request.auth
    fields = {
        **body.model_dump(exclude={"street"}),
        "category": body.category.value,
        "audience": body.audience.value,
    }
    with acting_as(user, "api"):
        made = actions.create_activity(user, street=_street(user, body.street), **fields)
    return Status(201, activity_out(_one(_activities(user), made.pk, ""), user))


def _street(user: Any, code: str | None) -> Any:
    if not code:
        return None
    found = Area.objects.restrict(user, Action.VIEW).filter(code=code).values_list("pk", flat=True).first()
    return found if found is not None else -1  # an unknown code: the action's "not found"


@router.get(
    "/activities/{activity_id}",
    response={200: ActivityDetailOut, **READ_ERRORS},
    summary="活动详情",
    operation_id="community_get_activity",
)
def get_activity(request: Any, response: HttpResponse, activity_id: int) -> dict[str, Any]:
    user = request.auth
    activity = _one(_activities(user), activity_id, "活动不存在或不在你的管辖范围内")
    response["ETag"] = make_etag(activity, user.pk)
    return activity_out(activity, user)


ACTIVITY_BODIES = action_bodies(ACTIVITY_FRAME, "Activity", "你读到的活动版本（If-Match 亦可）；已过期则 409")
ActivityActionName = Enum("ActivityActionName", {a.upper(): a for a in ACTIVITY_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/activities/{activity_id}/actions/{action}",
    response={200: ActivityDetailOut, **WRITE_ERRORS},
    summary="办理活动（发布、报名、取消报名、签到、截止、结束、取消）",
    operation_id="community_activity_action",
    openapi_extra=action_request_body(ACTIVITY_BODIES, {"version": 2, "name": "王阿婆", "channel": "phone"}),
)
def activity_action(
    request: Any, response: HttpResponse, activity_id: int, action: ActivityActionName
) -> dict[str, Any]:
    """Runs `action` with the JSON object in the body as its parameters: 409 when full (the
    message names the capacity), for a second check-in or sign-up of the same person, a stale
    version or a step not allowed now; 403 when the caller's role may not take it."""
    user = request.auth
    after = action_endpoint(
        request,
        response,
        ACTIVITY_FRAME,
        action.value,
        lambda: _one(_activities(user), activity_id, "活动不存在或不在你的管辖范围内"),
        lambda a: make_etag(a, user.pk),
    )
    return activity_out(after, user)


@router.get(
    "/activities/{activity_id}/sign-ups",
    response={200: SignUpPage, **READ_ERRORS},
    summary="活动报名名单（居民只看本人的）",
    operation_id="community_list_sign_ups",
)
def list_sign_ups(
    request: Any, activity_id: int, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    user = request.auth
    activity = _one(_visible(user, Activity), activity_id, "活动不存在或不在你的管辖范围内")
    rows = _visible(user, SignUp).filter(activity=activity).order_by("pk")

    def out(row: SignUp) -> dict[str, Any]:
        return {
            "id": row.pk,
            "name": row.name,
            "phone": str(row.phone or ""),
            "channel": row.channel,
            "status": row.status,
            "status_label": row.get_status_display(),  # type: ignore[attr-defined]
            "waiting_position": actions.waiting_position(row) if row.status == SignUpStatus.WAITING else None,
            "checked_in_at": row.checked_in_at,
            "own": row.user_id == user.pk,
        }

    return paginate(rows, page, page_size, out)
