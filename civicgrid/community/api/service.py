"""The service centre under /api/v1/community/service/: the catalogue (items with today's
responsible), the slots of an item on a day with the places left, appointments (book — a full
slot is a 409 "该时段已约满" —, list own or scoped, one, every step of its machine), walk-ins,
上门办 (request, list, one, its steps) and staff leave (list, record, cancel). Phones and the
上门办 address are always masked; staff names are given only to the desk (who may see the
accounts), others read the role (A角/B角/值班人员)."""

from datetime import date, datetime
from enum import Enum
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from civicgrid.core import capabilities, clock
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, NotFound
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    action_bodies,
    action_endpoint,
    action_request_body,
    make_etag,
)

from ..actions import service as actions
from ..actions.frames import APPOINTMENT_FRAME, HOME_SERVICE_FRAME
from ..choices import (
    AppointmentStatus,
    ContactChannel,
    HomeServiceReason,
    HomeServiceStatus,
    LeaveKind,
    Responsible,
    ServiceCategory,
)
from ..filters.service import AppointmentFilterSet, HomeServiceFilterSet, api_params, filtered
from ..models import Appointment, HomeService, ServiceItem, StaffLeave
from ..routing import route, routes
from ..service_slots import day_slots

router = Router(tags=["community"])
VIEW, DESK = "community.view", "community.service_desk"


class ServiceItemOut(Schema):
    id: int
    code: str
    name: str
    category: ServiceCategory
    category_label: str
    documents: list[str]
    time_limit_days: int
    window: str
    bookable: bool
    per_slot: int
    home_service: bool
    responsible: Responsible = Field(description="此刻的办理人角色：A角；A角请假时B角；都不在时值班人员")
    responsible_name: str = Field(description="办理人姓名（仅服务中心工作人员可见）")
    badge: str = Field(description="A角请假时的提示")


class ItemPage(PageOut):
    results: list[ServiceItemOut]


class SlotOut(Schema):
    starts_at: datetime
    ends_at: datetime
    capacity: int
    left: int


class AppointmentOut(Schema):
    id: int
    item: int
    item_name: str
    starts_at: datetime | None = Field(description="预约时段（现场取号为空）")
    ticket: str
    channel: ContactChannel
    name: str
    phone: str = Field(description="联系电话（遮蔽显示）")
    status: AppointmentStatus
    status_label: str
    responsible: Responsible
    handled_by: str
    window: str
    arrived_at: datetime | None
    called_at: datetime | None
    finished_at: datetime | None
    version: int


class AppointmentDetailOut(AppointmentOut):
    actions: list[str] = Field(description="调用者现在可以执行的操作")


class AppointmentPage(PageOut):
    results: list[AppointmentOut]


class BookIn(Schema):
    item: int
    starts_at: datetime = Field(description="时段开始（见 slots）")
    person: int | None = Field(None, description="代预约：实有人口 id")
    name: str = Field("", max_length=50, description="代预约：来电居民姓名")
    phone: str = Field("", max_length=30)
    channel: ContactChannel | None = None
    note: str = Field("", max_length=200)


class WalkInIn(Schema):
    item: int
    person: int | None = None
    name: str = Field("", max_length=50)
    phone: str = Field("", max_length=30)
    note: str = Field("", max_length=200)


class AppointmentFilters(Schema):
    status: AppointmentStatus | None = None
    item: int | None = Field(None, ge=1)
    day: date | None = Field(None, description="预约日期")


class HomeOut(Schema):
    id: int
    number: str
    item: int
    item_name: str
    name: str
    phone: str = Field(description="联系电话（遮蔽显示）")
    address: str = Field(description="上门地址（遮蔽显示）")
    reason: HomeServiceReason
    need: str
    status: HomeServiceStatus
    status_label: str
    responsible: str
    assignee: str
    visit_at: datetime | None
    due_on: date
    done_at: datetime | None
    outcome: str
    version: int


class HomeDetailOut(HomeOut):
    actions: list[str] = Field(description="调用者现在可以执行的操作")


class HomePage(PageOut):
    results: list[HomeOut]


class HomeIn(Schema):
    item: int
    reason: HomeServiceReason
    need: str = Field("", max_length=300)
    person: int | None = Field(None, description="代办：实有人口 id（姓名、电话、住址取自登记）")
    name: str = Field("", max_length=50)
    phone: str = Field("", max_length=30)
    address: str = Field("", max_length=200)


class HomeFilters(Schema):
    status: HomeServiceStatus | None = None
    mine: bool | None = Field(None, description="只看分配给我的")
    overdue: bool | None = None
    q: str | None = Field(None, max_length=60)


class LeaveOut(Schema):
    id: int
    user: int
    user_name: str
    kind: LeaveKind
    starts_at: datetime
    ends_at: datetime
    note: str
    cancelled_at: datetime | None


class LeaveIn(Schema):
    user: int
    kind: LeaveKind
    starts_at: datetime
    ends_at: datetime
    note: str = Field("", max_length=120)


def _visible(user: Any, model: Any) -> QuerySet[Any]:
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看服务中心")
    return model.objects.restrict(user, Action.VIEW)  # type: ignore[no-any-return]


def _one(rows: QuerySet[Any], pk: int, missing: str) -> Any:
    found = rows.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise NotFound(missing)
    return found


def _items(user: Any) -> QuerySet[ServiceItem]:
    return (
        _visible(user, ServiceItem)
        .filter(active=True)
        .select_related("window", "a_staff", "b_staff", "centre__duty_officer")
        .order_by("category", "code", "pk")
    )


def _staff_name(user: Any, reader: Any) -> str:
    return (user.full_name or user.username) if user is not None and capabilities.may(reader, DESK) else ""


def item_out(item: ServiceItem, found: Any, reader: Any) -> dict[str, Any]:
    return {
        "id": item.pk,
        "code": item.code,
        "name": item.name,
        "category": item.category,
        "category_label": item.get_category_display(),  # type: ignore[attr-defined]
        "documents": item.document_list,
        "time_limit_days": item.time_limit_days,
        "window": str(item.window or ""),
        "bookable": item.bookable,
        "per_slot": item.per_slot,
        "home_service": item.home_service,
        "responsible": found.responsible,
        "responsible_name": _staff_name(found.user, reader),
        "badge": found.badge,
    }


def appointment_out(a: Appointment, user: Any, *, detail: bool = False) -> dict[str, Any]:
    out = {
        "id": a.pk,
        "item": a.item_id,
        "item_name": a.item.name,
        "starts_at": a.slot.starts_at if a.slot else None,
        "ticket": a.ticket,
        "channel": a.channel,
        "name": a.name,
        "phone": str(a.phone or ""),
        "status": a.status,
        "status_label": a.get_status_display(),  # type: ignore[attr-defined]
        "responsible": a.responsible,
        "handled_by": _staff_name(a.handled_by, user),
        "window": str(a.window or ""),
        "arrived_at": a.arrived_at,
        "called_at": a.called_at,
        "finished_at": a.finished_at,
        "version": a.version,
    }
    if detail:
        out["actions"] = APPOINTMENT_FRAME.machine.allowed_actions(a, user)
    return out


def home_out(h: HomeService, user: Any, *, detail: bool = False) -> dict[str, Any]:
    out = {
        "id": h.pk,
        "number": h.number,
        "item": h.item_id,
        "item_name": h.item.name,
        "name": h.name,
        "phone": str(h.phone or ""),
        "address": str(h.address or ""),
        "reason": h.reason,
        "need": h.need,
        "status": h.status,
        "status_label": h.get_status_display(),  # type: ignore[attr-defined]
        "responsible": h.responsible,
        "assignee": _staff_name(h.assignee, user),
        "visit_at": h.visit_at,
        "due_on": h.due_on,
        "done_at": h.done_at,
        "outcome": h.outcome,
        "version": h.version,
    }
    if detail:
        out["actions"] = HOME_SERVICE_FRAME.machine.allowed_actions(h, user)
    return out


# ---------------------------------------------------------------------------- the catalogue


@router.get(
    "/service/items",
    response={200: ItemPage, **READ_ERRORS},
    summary="服务事项",
    operation_id="community_list_items",
)
def list_items(request: Any, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE) -> dict[str, Any]:
    """The catalogue, each item with whoever takes it now (AB routing)."""
    found = paginate(_items(request.auth), page, page_size)
    now = routes(found["results"], clock.now())
    found["results"] = [item_out(i, now[i.pk], request.auth) for i in found["results"]]
    return found


@router.get(
    "/service/items/{item_id}",
    response={200: ServiceItemOut, **READ_ERRORS},
    summary="服务事项详情",
    operation_id="community_get_item",
)
def get_item(request: Any, item_id: int) -> dict[str, Any]:
    item = _one(_items(request.auth), item_id, "服务事项不存在")
    return item_out(item, route(item, clock.now()), request.auth)


@router.get(
    "/service/items/{item_id}/slots",
    response={200: list[SlotOut], **READ_ERRORS},
    summary="可预约时段",
    operation_id="community_item_slots",
)
def item_slots(request: Any, item_id: int, day: date) -> list[dict[str, Any]]:
    """The item's slots of `day` still ahead with the places left (none outside the booking window)."""
    item = _one(_items(request.auth), item_id, "服务事项不存在")
    return [
        {"starts_at": s.starts_at, "ends_at": s.ends_at, "capacity": s.capacity, "left": s.left}
        for s in day_slots(item, day)
    ]


# ---------------------------------------------------------------------------- appointments


def _appointments(user: Any) -> QuerySet[Appointment]:
    return _visible(user, Appointment).select_related("item", "slot", "window", "handled_by").order_by("-pk")


@router.get(
    "/service/appointments",
    response={200: AppointmentPage, **READ_ERRORS},
    summary="预约与排队",
    operation_id="community_list_appointments",
)
def list_appointments(
    request: Any,
    filters_: Query[AppointmentFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The desk lists its streets' appointments; everyone else those they booked or made for a
    caller (a cadre has no business with the street's whole register of visits)."""
    user = request.auth
    rows = _appointments(user)
    if not capabilities.may(user, DESK):
        rows = rows.filter(Q(user=user) | Q(created_by=user))
    qs = filtered(AppointmentFilterSet, api_params(filters_), rows, user)
    return paginate(qs, page, page_size, lambda a: appointment_out(a, request.auth))


@router.post(
    "/service/appointments",
    response={201: AppointmentDetailOut, **WRITE_ERRORS},
    summary="预约",
    operation_id="community_book",
)
def post_appointment(request: Any, body: BookIn) -> Status[dict[str, Any]]:
    """A place in the slot: 409 "该时段已约满" when it is full, 409 when the same person holds
    the item that day."""
    user = request.auth
    with acting_as(user, "api"):
        made = actions.book_appointment(
            user,
            body.item,
            body.starts_at,
            person=body.person,
            name=body.name,
            phone=body.phone,
            channel=body.channel.value if body.channel else None,
            note=body.note,
        )
    return Status(201, appointment_out(_one(_appointments(user), made.pk, ""), user, detail=True))


@router.post(
    "/service/walk-ins",
    response={201: AppointmentDetailOut, **WRITE_ERRORS},
    summary="现场取号",
    operation_id="community_walk_in",
)
def post_walk_in(request: Any, body: WalkInIn) -> Status[dict[str, Any]]:
    user = request.auth
    with acting_as(user, "api"):
        made = actions.walk_in(
            user, body.item, person=body.person, name=body.name, phone=body.phone, note=body.note
        )
    return Status(201, appointment_out(_one(_appointments(user), made.pk, ""), user, detail=True))


@router.get(
    "/service/appointments/{appointment_id}",
    response={200: AppointmentDetailOut, **READ_ERRORS},
    summary="预约详情",
    operation_id="community_get_appointment",
)
def get_appointment(request: Any, response: HttpResponse, appointment_id: int) -> dict[str, Any]:
    found = _one(_appointments(request.auth), appointment_id, "预约不存在或不在你的管辖范围内")
    response["ETag"] = make_etag(found, request.auth.pk)
    return appointment_out(found, request.auth, detail=True)


APPOINTMENT_BODIES = action_bodies(
    APPOINTMENT_FRAME, "Appointment", "你读到的预约版本（If-Match 亦可）；已过期则 409"
)
AppointmentActionName = Enum("AppointmentActionName", {a.upper(): a for a in APPOINTMENT_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/service/appointments/{appointment_id}/actions/{action}",
    response={200: AppointmentDetailOut, **WRITE_ERRORS},
    summary="办理预约（取号、叫号、办结、未到、取消）",
    operation_id="community_appointment_action",
    openapi_extra=action_request_body(APPOINTMENT_BODIES, {"version": 1}),
)
def appointment_action(
    request: Any, response: HttpResponse, appointment_id: int, action: AppointmentActionName
) -> dict[str, Any]:
    user = request.auth
    after = action_endpoint(
        request,
        response,
        APPOINTMENT_FRAME,
        action.value,
        lambda: _one(_appointments(user), appointment_id, "预约不存在或不在你的管辖范围内"),
        lambda a: make_etag(a, user.pk),
    )
    return appointment_out(after, user, detail=True)


# ---------------------------------------------------------------------------- 上门办


def _homes(user: Any) -> QuerySet[HomeService]:
    return _visible(user, HomeService).select_related("item", "assignee").order_by("-pk")


@router.get(
    "/service/home-services",
    response={200: HomePage, **READ_ERRORS},
    summary="上门办",
    operation_id="community_list_home_services",
)
def list_home_services(
    request: Any, filters_: Query[HomeFilters], page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    qs = filtered(HomeServiceFilterSet, api_params(filters_), _homes(request.auth), request.auth)
    return paginate(qs, page, page_size, lambda h: home_out(h, request.auth))


@router.post(
    "/service/home-services",
    response={201: HomeDetailOut, **WRITE_ERRORS},
    summary="申请上门办",
    operation_id="community_request_home_service",
)
def post_home_service(request: Any, body: HomeIn) -> Status[dict[str, Any]]:
    user = request.auth
    with acting_as(user, "api"):
        made = actions.request_home_service(
            user,
            body.item,
            reason=body.reason.value,
            need=body.need,
            person=body.person,
            name=body.name,
            phone=body.phone,
            address=body.address,
        )
    return Status(201, home_out(_one(_homes(user), made.pk, ""), user, detail=True))


@router.get(
    "/service/home-services/{home_service_id}",
    response={200: HomeDetailOut, **READ_ERRORS},
    summary="上门办详情",
    operation_id="community_get_home_service",
)
def get_home_service(request: Any, response: HttpResponse, home_service_id: int) -> dict[str, Any]:
    found = _one(_homes(request.auth), home_service_id, "上门办申请不存在或不在你的管辖范围内")
    response["ETag"] = make_etag(found, request.auth.pk)
    return home_out(found, request.auth, detail=True)


HOME_BODIES = action_bodies(
    HOME_SERVICE_FRAME, "HomeService", "你读到的上门办版本（If-Match 亦可）；已过期则 409"
)
HomeActionName = Enum("HomeActionName", {a.upper(): a for a in HOME_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/service/home-services/{home_service_id}/actions/{action}",
    response={200: HomeDetailOut, **WRITE_ERRORS},
    summary="办理上门办（安排、改约、登记结果、未能办理、取消）",
    operation_id="community_home_service_action",
    openapi_extra=action_request_body(HOME_BODIES, {"version": 1, "visit_at": "2027-10-18T14:00:00+08:00"}),
)
def home_service_action(
    request: Any, response: HttpResponse, home_service_id: int, action: HomeActionName
) -> dict[str, Any]:
    """Photos of the visit are uploaded on the request's page."""
    user = request.auth
    after = action_endpoint(
        request,
        response,
        HOME_SERVICE_FRAME,
        action.value,
        lambda: _one(_homes(user), home_service_id, "上门办申请不存在或不在你的管辖范围内"),
        lambda h: make_etag(h, user.pk),
    )
    return home_out(after, user, detail=True)


# ---------------------------------------------------------------------------- leave


def leave_out(row: StaffLeave) -> dict[str, Any]:
    return {
        "id": row.pk,
        "user": row.user_id,
        "user_name": row.user.full_name,
        "kind": row.kind,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "note": row.note,
        "cancelled_at": row.cancelled_at,
    }


def _leave(user: Any) -> QuerySet[StaffLeave]:
    if not capabilities.may(user, actions.SERVICE):
        raise Forbidden("你的角色不能查看请假记录")
    return StaffLeave.objects.restrict(user, Action.VIEW).select_related("user").order_by("-starts_at", "pk")


@router.get(
    "/service/leave",
    response={200: list[LeaveOut], **READ_ERRORS},
    summary="请假与外出（未结束的）",
    operation_id="community_list_leave",
)
def list_leave(request: Any) -> list[dict[str, Any]]:
    return [leave_out(r) for r in _leave(request.auth).filter(ends_at__gt=clock.now())[:200]]


@router.post(
    "/service/leave",
    response={201: LeaveOut, **WRITE_ERRORS},
    summary="登记请假",
    operation_id="community_record_leave",
)
def post_leave(request: Any, body: LeaveIn) -> Status[dict[str, Any]]:
    user = request.auth
    with acting_as(user, "api"):
        made = actions.record_leave(
            user,
            user=body.user,
            kind=body.kind.value,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            note=body.note,
        )
    return Status(201, leave_out(_one(_leave(user), made.pk, "")))


@router.post(
    "/service/leave/{leave_id}/cancel",
    response={200: LeaveOut, **WRITE_ERRORS},
    summary="撤销请假",
    operation_id="community_cancel_leave",
)
def cancel_leave(request: Any, leave_id: int) -> dict[str, Any]:
    user = request.auth
    found = _one(_leave(user), leave_id, "请假记录不存在或不在你的管辖范围内")
    with acting_as(user, "api"):
        actions.cancel_leave(user, found)
    return leave_out(_one(_leave(user), leave_id, ""))
