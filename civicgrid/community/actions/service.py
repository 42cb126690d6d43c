"""The service centre (社区事务受理服务中心): its centre, windows and catalogue items (each with an A
and a B of the street's desk staff), staff leave, appointments and the queue, and 上门办.

Booking takes a place of a slot with ONE conditional UPDATE (`booked < capacity`), so of two
concurrent bookings of the last place exactly one wins on SQLite as on PostgreSQL; cancelling
gives the place back. Queue tickets (A012: a letter per category, numbered per street and day)
and 上门办 numbers (<year>-SM-0001) are taken under the centre's row lock. Every request is given
to whoever the AB routing names at its time (routing.py) and says so. Every call is one
transaction with its event (core.events) and audit rows (AuditedModel)."""

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.core import capabilities, clock, events, notifications, personal, profile, workdays
from civicgrid.core.capabilities import roles
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput
from civicgrid.core.frame import FilesContext
from civicgrid.core.inputs import as_id, clean_text, visible
from civicgrid.core.personal import unmasked
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.residents.models import Person

from ..choices import (
    AppointmentAction,
    AppointmentStatus,
    ContactChannel,
    HomeServiceAction,
    HomeServicePhoto,
    HomeServiceReason,
    LeaveKind,
    NotificationKind,
    Responsible,
    ServiceCategory,
)
from ..models import Appointment, HomeService, ServiceCentre, ServiceItem, ServiceSlot, StaffLeave, Window
from ..querysets import OWN_ROWS_ONLY
from ..routing import responsible_for
from ..service_slots import slot_end
from .frames import APPOINTMENT_FRAME, HOME_SERVICE_FRAME

SERVICE, DESK, BOOK = "community.service", "community.service_desk", "community.book"
CREATE_CENTRE, ADD_WINDOW, CREATE_ITEM, UPDATE_ITEM, ASSIGN_ROLES = (
    "create_centre",
    "add_window",
    "create_item",
    "update_item",
    "assign_roles",
)
RECORD_LEAVE, CANCEL_LEAVE = "record_leave", "cancel_leave"
BOOK_APPOINTMENT, WALK_IN, REQUEST_HOME = "book", "walk_in", "request"
LIVE = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.WAITING,
    AppointmentStatus.SERVING,
    AppointmentStatus.DONE,
)
# A queue ticket's letter: one per category (A 社会保障, B 民政救助…).
LETTERS = {value: chr(ord("A") + n) for n, value in enumerate(ServiceCategory.values)}


def _may(actor: Any, capability: str, message: str) -> None:
    if not capabilities.may(actor, capability):
        raise Forbidden(message)


def _street(actor: Any, street: Any) -> Area:
    found: Area = visible(actor, Area, street, "street", _("街道不存在或不在你的管辖范围内"))
    if found.kind != AreaKind.STREET:
        raise InvalidInput(_("请选择街道"), {"street": "invalid"})
    return found


def desk_staff(street_id: int) -> Any:
    """The accounts of the street that hold the service desk (an item's A/B, a 上门办 task)."""
    return get_user_model().objects.working_in(street_id, roles(DESK))


def _staff(street_id: int, user: Any, field: str) -> Any:
    pk = user.pk if hasattr(user, "pk") else as_id(str(user))
    found = desk_staff(street_id).filter(pk=pk).first() if pk else None
    if found is None:
        raise InvalidInput(_("须为本街道服务中心的工作人员"), {field: "not_staff"})
    return found


def _locked_centre(street_id: int) -> ServiceCentre:
    return ServiceCentre.objects.select_for_update().get(street_id=street_id)


# ---------------------------------------------------------------------------- centre, windows, items


def create_centre(
    actor: Any,
    *,
    street: Any,
    name: str,
    opens: time,
    closes: time,
    address: str = "",
    phone: str = "",
    duty_officer: Any = None,
) -> ServiceCentre:
    _may(actor, SERVICE, _("你的角色不能维护服务中心"))
    home = _street(actor, street)
    if not isinstance(opens, time) or not isinstance(closes, time) or opens >= closes:
        raise InvalidInput(_("办理时间不正确"), {"closes": "invalid"})
    values = {
        "name": clean_text(name, "name", _("名称"), 80),
        "address": clean_text(address, "address", _("地址"), 120, required=False),
        "phone": clean_text(phone, "phone", _("咨询电话"), 30, required=False),
    }
    duty = _staff(home.pk, duty_officer, "duty_officer") if duty_officer else None
    with transaction.atomic():
        if ServiceCentre.objects.filter(street=home).exists():
            raise Conflict(_("该街道已有服务中心"))
        centre = ServiceCentre.objects.create(
            street=home, opens=opens, closes=closes, duty_officer=duty, **values
        )
        events.log(centre, CREATE_CENTRE, actor)
    return centre


def add_window(actor: Any, centre: Any, *, number: int, name: str) -> Window:
    _may(actor, SERVICE, _("你的角色不能维护服务中心"))
    home: ServiceCentre = visible(
        actor, ServiceCentre, centre, "centre", _("服务中心不存在或不在你的管辖范围内")
    )
    if not isinstance(number, int) or not 1 <= number <= 999:
        raise InvalidInput(_("窗口号须为 1–999"), {"number": "invalid"})
    try:
        with transaction.atomic():
            window = Window.objects.create(
                centre=home,
                street_id=home.street_id,
                number=number,
                name=clean_text(name, "name", _("窗口名称"), 40),
            )
            events.log(window, ADD_WINDOW, actor)
    except IntegrityError:
        raise Conflict(_("窗口号已存在")) from None
    return window


def _roles(street_id: int, a_staff: Any, b_staff: Any) -> tuple[Any, Any]:
    a, b = _staff(street_id, a_staff, "a_staff"), _staff(street_id, b_staff, "b_staff")
    if a.pk == b.pk:
        raise InvalidInput(_("A角与B角不能是同一人"), {"b_staff": "same_as_a"})
    return a, b


def _item_values(
    actor: Any,
    home: ServiceCentre,
    *,
    name: str,
    category: str,
    documents: str,
    description: str,
    time_limit_days: int,
    window: Any,
    per_slot: int,
    bookable: bool,
    home_service: bool,
) -> dict[str, Any]:
    """An item's checked fields but its code and A/B (what creating and editing share)."""
    if category not in ServiceCategory.values:
        raise InvalidInput(_("类别不正确"), {"category": "invalid"})
    if not isinstance(per_slot, int) or not 1 <= per_slot <= 50:
        raise InvalidInput(_("每时段可约人数须为 1–50"), {"per_slot": "invalid"})
    if not isinstance(time_limit_days, int) or not 0 <= time_limit_days <= 365:
        raise InvalidInput(_("办理时限不正确"), {"time_limit_days": "invalid"})
    desk = None
    if window not in (None, ""):
        desk = visible(actor, Window, window, "window", _("窗口不存在"))
        if desk.centre_id != home.pk:
            raise InvalidInput(_("窗口不属于该服务中心"), {"window": "other_centre"})
    return {
        "name": clean_text(name, "name", _("事项名称"), 80),
        "category": category,
        "documents": clean_text(documents, "documents", _("所需材料"), 2000, required=False),
        "description": clean_text(description, "description", _("办理说明"), 4000, required=False),
        "time_limit_days": time_limit_days,
        "window": desk,
        "per_slot": per_slot,
        "bookable": bool(bookable),
        "home_service": bool(home_service),
    }


def create_item(
    actor: Any,
    centre: Any,
    *,
    code: str,
    name: str,
    category: str,
    a_staff: Any,
    b_staff: Any,
    documents: str = "",
    description: str = "",
    time_limit_days: int = 0,
    window: Any = None,
    per_slot: int = 1,
    bookable: bool = True,
    home_service: bool = False,
) -> ServiceItem:
    """A catalogue item with its A and B (two different desk staff of the street)."""
    _may(actor, SERVICE, _("你的角色不能维护服务事项"))
    home: ServiceCentre = visible(
        actor, ServiceCentre, centre, "centre", _("服务中心不存在或不在你的管辖范围内")
    )
    values = _item_values(
        actor,
        home,
        name=name,
        category=category,
        documents=documents,
        description=description,
        time_limit_days=time_limit_days,
        window=window,
        per_slot=per_slot,
        bookable=bookable,
        home_service=home_service,
    )
    a, b = _roles(home.street_id, a_staff, b_staff)
    try:
        with transaction.atomic():
            item = ServiceItem.objects.create(
                centre=home,
                street_id=home.street_id,
                code=clean_text(code, "code", _("事项编码"), 20),
                a_staff=a,
                b_staff=b,
                **values,
            )
            events.log(item, CREATE_ITEM, actor, payload={"a": a.pk, "b": b.pk})
    except IntegrityError:
        raise Conflict(_("事项编码已存在")) from None
    return item


def update_item(actor: Any, item: Any, *, version: Any, **fields: Any) -> ServiceItem:
    """Change an item's name, category, documents, description, time limit, window, places per
    slot and whether it is booked or done at home (`fields`: those of `_item_values`). Its code
    stays (printed guides cite it); appointments already made keep their slots."""
    _may(actor, SERVICE, _("你的角色不能维护服务事项"))
    found = visible(actor, ServiceItem, item, "item", _("服务事项不存在或不在你的管辖范围内"))
    values = _item_values(actor, found.centre, **fields)
    with transaction.atomic():
        row = ServiceItem.objects.select_for_update().get(pk=found.pk)
        if str(version) != str(row.version):
            raise Conflict(_("服务事项已被他人更新，请刷新后重试"))
        changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
        for key, value in values.items():
            setattr(row, key, value)
        row.version += 1
        row.save(update_fields=[*values, "version", "updated_at"])
        events.log(row, UPDATE_ITEM, actor, payload={"changed": changed})
    return row


def assign_roles(actor: Any, item: Any, *, a_staff: Any, b_staff: Any, version: Any = None) -> ServiceItem:
    """Change an item's A and B."""
    _may(actor, SERVICE, _("你的角色不能维护服务事项"))
    found = visible(actor, ServiceItem, item, "item", _("服务事项不存在或不在你的管辖范围内"))
    a, b = _roles(found.street_id, a_staff, b_staff)
    with transaction.atomic():
        row = ServiceItem.objects.select_for_update().get(pk=found.pk)
        if version is not None and str(version) != str(row.version):
            raise Conflict(_("服务事项已被他人更新，请刷新后重试"))
        row.a_staff, row.b_staff, row.version = a, b, row.version + 1
        row.save(update_fields=["a_staff", "b_staff", "version", "updated_at"])
        events.log(row, ASSIGN_ROLES, actor, payload={"a": a.pk, "b": b.pk})
    return row


# ---------------------------------------------------------------------------- leave


def record_leave(
    actor: Any, *, user: Any, kind: str, starts_at: datetime, ends_at: datetime, note: str = ""
) -> StaffLeave:
    """A member of staff away: their items go to B (or the duty officer) meanwhile."""
    _may(actor, SERVICE, _("你的角色不能登记请假"))
    pk = user.pk if hasattr(user, "pk") else as_id(str(user))
    streets = Area.objects.restrict(actor, "view").filter(kind=AreaKind.STREET).order_by("pk")
    # The street whose desk the member of staff works at, among the actor's.
    street_id = next(
        (s for s in streets.values_list("pk", flat=True) if desk_staff(s).filter(pk=pk).exists()), None
    )
    if street_id is None:
        raise InvalidInput(_("须为本街道服务中心的工作人员"), {"user": "not_staff"})
    staff = get_user_model().objects.get(pk=pk)
    if kind not in LeaveKind.values:
        raise InvalidInput(_("类型不正确"), {"kind": "invalid"})
    if not isinstance(starts_at, datetime) or not isinstance(ends_at, datetime) or ends_at <= starts_at:
        raise InvalidInput(_("结束时间须晚于开始时间"), {"ends_at": "invalid"})
    with transaction.atomic():
        leave = StaffLeave.objects.create(
            street_id=street_id,
            user=staff,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            note=clean_text(note, "note", _("说明"), 120, required=False),
            recorded_by=actor,
        )
        events.log(leave, RECORD_LEAVE, actor, payload={"user": staff.pk, "kind": kind})
    return leave


def cancel_leave(actor: Any, leave: Any) -> StaffLeave:
    _may(actor, SERVICE, _("你的角色不能登记请假"))
    found = visible(actor, StaffLeave, leave, "leave", _("请假记录不存在或不在你的管辖范围内"))
    with transaction.atomic():
        row = StaffLeave.objects.select_for_update().get(pk=found.pk)
        if row.cancelled_at is not None:
            raise Conflict(_("该请假已撤销"))
        row.cancelled_at = clock.now()
        row.save(update_fields=["cancelled_at", "updated_at"])
        events.log(row, CANCEL_LEAVE, actor)
    return row


# ---------------------------------------------------------------------------- appointments


def _bookable_item(actor: Any, item: Any) -> ServiceItem:
    _may(actor, BOOK, _("你的角色不能预约服务事项"))
    found: ServiceItem = visible(actor, ServiceItem, item, "item", _("服务事项不存在"))
    if not found.active:
        raise InvalidInput(_("该事项已停办"), {"item": "inactive"})
    return ServiceItem.objects.select_related("centre", "a_staff", "b_staff", "centre__duty_officer").get(
        pk=found.pk
    )


def _who(
    actor: Any, *, person: Any, name: str, phone: str, channel: Any, on_behalf: ContactChannel
) -> dict[str, Any]:
    """Whom a booking or a walk-in is for: a resident is always themselves (on the web); staff
    write down a registry person or a caller's name and phone."""
    phone = clean_text(phone, "phone", _("联系电话"), 30, required=False)
    if capabilities.may(actor, OWN_ROWS_ONLY):
        return {
            "user": actor,
            "name": actor.full_name or actor.username,
            "phone": phone,
            "channel": ContactChannel.WEB,
        }
    chosen = visible(actor, Person, person, "person", _("居民不存在或不在你的管辖范围内"), required=False)
    if channel not in (ContactChannel.PHONE, ContactChannel.DESK):
        channel = on_behalf
    return {
        "person": chosen,
        "name": chosen.name if chosen else clean_text(name, "name", _("姓名"), 50),
        "phone": phone or (unmasked(chosen.phone) if chosen else ""),
        "channel": channel,
    }


def _same_day(item: ServiceItem, day_start: datetime, who: dict[str, Any]) -> bool:
    """Whether the same person already holds a live appointment of the item that day."""
    rows = Appointment.objects.filter(
        item=item,
        status__in=LIVE,
        slot__starts_at__gte=day_start,
        slot__starts_at__lt=day_start + timedelta(days=1),
    )
    if who.get("user") is not None:
        return rows.filter(user=who["user"]).exists()
    if who.get("person") is not None:
        return rows.filter(person=who["person"]).exists()
    phone = unmasked(who["phone"])
    return (
        bool(phone) and rows.filter(personal.matching(Appointment, "phone", phone), name=who["name"]).exists()
    )


def book_appointment(
    actor: Any,
    item: Any,
    starts_at: datetime,
    *,
    person: Any = None,
    name: str = "",
    phone: str = "",
    channel: Any = None,
    note: str = "",
) -> Appointment:
    """A place in the slot of `item` starting at `starts_at`: refused when the slot is full
    ("该时段已约满") or the same person holds the item that day already."""
    found = _bookable_item(actor, item)
    if not found.bookable:
        raise InvalidInput(_("该事项不接受预约，请直接到中心办理"), {"item": "not_bookable"})
    if not isinstance(starts_at, datetime) or timezone.is_naive(starts_at):
        raise InvalidInput(_("预约时段不正确"), {"starts_at": "invalid"})
    ends_at = slot_end(found, starts_at)
    if ends_at is None or starts_at <= clock.now():
        raise InvalidInput(_("不是可预约的时段"), {"starts_at": "not_a_slot"})
    who = _who(actor, person=person, name=name, phone=phone, channel=channel, on_behalf=ContactChannel.PHONE)
    note = clean_text(note, "note", _("备注"), 200, required=False)
    user, responsible = responsible_for(found, starts_at)
    day_start = timezone.localtime(starts_at).replace(hour=0, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        slot, _made = ServiceSlot.objects.get_or_create(
            item=found,
            starts_at=starts_at,
            defaults={"street_id": found.street_id, "ends_at": ends_at, "capacity": found.per_slot},
        )
        if _same_day(found, day_start, who):
            raise Conflict(_("同一人当天已预约该事项"))
        # The one write that decides who gets the last place: a conditional increment.
        if not ServiceSlot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(
            booked=F("booked") + 1
        ):
            raise Conflict(_("该时段已约满"))
        appointment = Appointment.objects.create(
            street_id=found.street_id,
            item=found,
            slot=slot,
            responsible=responsible,
            handled_by=user,
            note=note,
            created_by=actor,
            **who,
        )
        events.log(
            appointment,
            BOOK_APPOINTMENT,
            actor,
            payload={"slot": slot.pk, "responsible": responsible, "channel": who["channel"]},
        )
        if responsible != Responsible.A:
            # B (or the duty officer) learns now that the booking is theirs.
            notifications.send_on_commit(
                [user],
                appointment,
                NotificationKind.ROUTED_TO_B,
                gettext_noop("A角不在岗：%(item)s %(at)s 的预约由你办理"),
                f"routed:{appointment.pk}",
                {"item": found.name, "at": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")},
            )
    return appointment


def _ticket(item: ServiceItem, now: datetime) -> str:
    """The next queue ticket of the item's letter today, under the centre's row lock."""
    _locked_centre(item.street_id)
    letter = LETTERS.get(item.category, "Z")
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    taken = Appointment.objects.filter(
        street_id=item.street_id, arrived_at__gte=start, arrived_at__lte=now, ticket__startswith=letter
    ).count()
    return f"{letter}{taken + 1:03d}"


def walk_in(
    actor: Any, item: Any, *, person: Any = None, name: str = "", phone: str = "", note: str = ""
) -> Appointment:
    """A resident at the desk without a booking: a queue ticket at once."""
    _may(actor, DESK, _("你的角色不能办理取号"))
    found = _bookable_item(actor, item)
    who = _who(
        actor,
        person=person,
        name=name,
        phone=phone,
        channel=ContactChannel.DESK,
        on_behalf=ContactChannel.DESK,
    )
    now = clock.now()
    user, responsible = responsible_for(found, now)
    with transaction.atomic():
        appointment = Appointment.objects.create(
            street_id=found.street_id,
            item=found,
            status=AppointmentStatus.WAITING,
            ticket=_ticket(found, now),
            arrived_at=now,
            responsible=responsible,
            handled_by=user,
            note=clean_text(note, "note", _("备注"), 200, required=False),
            created_by=actor,
            **who,
        )
        events.log(
            appointment, WALK_IN, actor, payload={"ticket": appointment.ticket, "responsible": responsible}
        )
    return appointment


def _route_now(ctx: FilesContext) -> None:
    appointment: Appointment = ctx.obj
    item = ServiceItem.objects.select_related("a_staff", "b_staff", "centre__duty_officer").get(
        pk=appointment.item_id
    )
    user, responsible = responsible_for(item, ctx.now)
    ctx.set(handled_by=user, responsible=responsible)
    ctx.payload["responsible"] = responsible


@APPOINTMENT_FRAME.implements(AppointmentAction.ARRIVE)
def arrive(ctx: FilesContext) -> None:
    """At the centre on the day: a ticket, and the request routed again (A may be away now)."""
    appointment: Appointment = ctx.obj
    if appointment.slot_id is not None:
        day = timezone.localtime(appointment.slot.starts_at).date()  # type: ignore[union-attr]
        if day != clock.today():
            raise InvalidInput(_("只能在预约当天取号"), {"action": "not_today"})
    ctx.set(ticket=_ticket(appointment.item, ctx.now), arrived_at=ctx.now)
    ctx.payload["ticket"] = appointment.ticket
    _route_now(ctx)


@APPOINTMENT_FRAME.implements(AppointmentAction.CALL)
def call(ctx: FilesContext, *, window: Window | None = None) -> None:
    appointment: Appointment = ctx.obj
    desk = window or appointment.item.window
    ctx.set(called_at=ctx.now, window=desk, handled_by=ctx.actor)
    ctx.payload["window"] = desk.number if desk else None


@APPOINTMENT_FRAME.implements(AppointmentAction.FINISH)
def finish(ctx: FilesContext, *, note: str = "") -> None:
    ctx.set(finished_at=ctx.now)
    ctx.note = note


@APPOINTMENT_FRAME.implements(AppointmentAction.NO_SHOW)
def no_show(ctx: FilesContext) -> None:
    """Not there: the place stays taken (the time has passed)."""


@APPOINTMENT_FRAME.implements(AppointmentAction.CANCEL)
def cancel(ctx: FilesContext, *, note: str = "") -> None:
    """Cancelled: the slot's place is given back."""
    appointment: Appointment = ctx.obj
    if appointment.slot_id is not None:
        ServiceSlot.objects.filter(pk=appointment.slot_id, booked__gt=0).update(booked=F("booked") - 1)
    ctx.note = note


# ---------------------------------------------------------------------------- 上门办


def _home_area(actor: Any) -> Area | None:
    """A resident's residential area (their membership)."""
    membership = actor.memberships.filter(area__kind=AreaKind.RESIDENTIAL).select_related("area").first()
    return membership.area if membership else None


def _registry_address(person: Person) -> tuple[str, Area | None]:
    """A registry person's home (the flat of their household) and its residential area."""
    household = person.household
    if household is None:
        return "", None
    flat = household.flat
    return str(flat), flat.building.residential_area


def request_home_service(
    actor: Any,
    item: Any,
    *,
    reason: str,
    need: str = "",
    person: Any = None,
    name: str = "",
    phone: str = "",
    address: str = "",
) -> HomeService:
    """上门办 asked by a resident for themselves, or by a cadre or the desk for a registry person
    (name, phone and address taken from the registry where it has them). Numbered
    <year>-SM-0001, due `community.home_service_days` working days ahead; the desk is told."""
    found = _bookable_item(actor, item)
    if not found.home_service:
        raise InvalidInput(_("该事项不提供上门办理"), {"item": "no_home_service"})
    if reason not in HomeServiceReason.values:
        raise InvalidInput(_("上门原因不正确"), {"reason": "invalid"})
    values: dict[str, Any] = {
        "reason": reason,
        "need": clean_text(need, "need", _("需求说明"), 300, required=False),
        "phone": clean_text(phone, "phone", _("联系电话"), 30, required=False),
        "address": clean_text(address, "address", _("上门地址"), 200, required=False),
    }
    if capabilities.may(actor, OWN_ROWS_ONLY):
        values.update(user=actor, name=actor.full_name or actor.username, area=_home_area(actor))
    else:
        chosen = visible(actor, Person, person, "person", _("居民不存在或不在你的管辖范围内"), required=False)
        if chosen is None and not capabilities.may(actor, DESK):
            raise InvalidInput(_("请选择要代办的居民"), {"person": "required"})
        home, area = _registry_address(chosen) if chosen else ("", None)
        values.update(
            person=chosen,
            requested_by=actor,
            name=chosen.name if chosen else clean_text(name, "name", _("姓名"), 50),
            phone=values["phone"] or (unmasked(chosen.phone) if chosen else ""),
            address=values["address"] or home,
            area=area,
        )
    if not values["address"]:
        raise InvalidInput(_("请填写上门地址"), {"address": "required"})
    today = clock.today()
    days = profile.value("community.home_service_days", found.street_id)
    with transaction.atomic():
        _locked_centre(found.street_id)
        prefix = f"{today.year}-SM-"
        taken = HomeService.objects.filter(street_id=found.street_id, number__startswith=prefix).count()
        request = HomeService.objects.create(
            street_id=found.street_id,
            item=found,
            number=f"{prefix}{taken + 1:04d}",
            due_on=workdays.add_working_days(today, days),
            **values,
        )
        events.log(
            request, REQUEST_HOME, actor, payload={"reason": reason, "on_behalf": "requested_by" in values}
        )
        notifications.send_on_commit(
            desk_staff(found.street_id),
            request,
            NotificationKind.HOME_SERVICE_REQUESTED,
            gettext_noop("新的上门办申请 %(number)s：%(item)s，请在 %(due)s 前安排上门"),
            f"home-requested:{request.pk}",
            {"number": request.number, "item": found.name, "due": request.due_on.isoformat()},
        )
    return request


def _task(ctx: FilesContext, assignee: Any, visit_at: datetime) -> None:
    """The visit is the assignee's task: they are told (again on every change of time)."""
    request: HomeService = ctx.obj
    notifications.send_on_commit(
        [assignee],
        request,
        NotificationKind.HOME_SERVICE_TASK,
        gettext_noop("上门办任务 %(number)s：%(item)s，%(at)s 上门"),
        f"home-task:{request.pk}:v{request.version}",
        {
            "number": request.number,
            "item": request.item.name,
            "at": timezone.localtime(visit_at).strftime("%Y-%m-%d %H:%M"),
        },
    )


def _not_past(visit_at: datetime, field: str = "visit_at") -> None:
    if visit_at < clock.now():
        raise InvalidInput(_("上门时间不能早于现在"), {field: "past"})


@HOME_SERVICE_FRAME.implements(HomeServiceAction.SCHEDULE)
def schedule(ctx: FilesContext, *, visit_at: datetime, assignee: Any = None) -> None:
    """A visit time and who goes: the one named, else whom the AB routing gives at that time."""
    request: HomeService = ctx.obj
    _not_past(visit_at)
    responsible = ""
    if assignee is None:
        item = ServiceItem.objects.select_related("a_staff", "b_staff", "centre__duty_officer").get(
            pk=request.item_id
        )
        assignee, responsible = responsible_for(item, visit_at)
    elif not desk_staff(request.street_id).filter(pk=assignee.pk).exists():
        raise InvalidInput(_("须为本街道服务中心的工作人员"), {"assignee": "not_staff"})
    ctx.set(visit_at=visit_at, assignee=assignee, responsible=responsible)
    ctx.payload.update(assignee=assignee.pk, responsible=responsible)
    _task(ctx, assignee, visit_at)


@HOME_SERVICE_FRAME.implements(HomeServiceAction.RESCHEDULE)
def reschedule(ctx: FilesContext, *, visit_at: datetime, note: str) -> None:
    _not_past(visit_at)
    ctx.set(visit_at=visit_at)
    ctx.note = note
    if ctx.obj.assignee_id is not None:
        _task(ctx, ctx.obj.assignee, visit_at)


@HOME_SERVICE_FRAME.implements(HomeServiceAction.COMPLETE)
def complete(ctx: FilesContext, *, outcome: str, photos: list[Any] | None = None) -> None:
    ctx.set(outcome=outcome, done_at=ctx.now)
    ctx.photos = list(photos or [])
    ctx.stage = HomeServicePhoto.VISIT


@HOME_SERVICE_FRAME.implements(HomeServiceAction.UNABLE)
def unable(ctx: FilesContext, *, note: str) -> None:
    ctx.set(outcome=note)
    ctx.note = note


@HOME_SERVICE_FRAME.implements(HomeServiceAction.CANCEL)
def cancel_home_service(ctx: FilesContext, *, note: str) -> None:
    ctx.note = note
