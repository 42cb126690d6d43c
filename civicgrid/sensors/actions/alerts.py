"""The alerts' writes. The rules (rules.py) call `raise_alert`, `recover` and `auto_escalate`
(system steps, no actor); cadres and the desk `answer`, `escalate` or mark a `false_alarm`
through the frame. Escalating opens a case (channel 物联感知, the device type's category and
urgency, at the device's place, in its street) and, for a care alert, plans a door visit to
the household. Every step is one transaction with its event (core.events).

An alarm becomes a case from its durable event (`ALARM_CASES`, a consumer of the log): right
after the readings' transaction commits, in the events worker (in-process in eager mode), not
inside the ingest — opening a case (duty routing, numbering, notices) took a quarter of the
consumer's time. An alarm that has already ended when the worker reaches it (a clearing reading
in the same second) stays ended, with its readings and its trail, and opens no case."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from civicgrid.cases.actions.intake import CaseInput, create_case
from civicgrid.cases.choices import Channel, RequestType
from civicgrid.core import events, notifications, profile
from civicgrid.core.bulk import update_values
from civicgrid.core.capabilities import roles
from civicgrid.core.frame import Context
from civicgrid.geo.index import PlaceRef
from civicgrid.residents.actions.visits import plan_system_visit
from civicgrid.residents.choices import CareKind

from ..choices import LIVE, AlertAction, Condition, NotificationKind
from ..models import Alert, Device
from .frames import ALERT_FRAME

ANSWER = "sensors.answer"
NOTICES = {
    Condition.NO_USE: (
        NotificationKind.CARE_ALERT,
        gettext_noop("%(device)s（%(where)s）已 %(hours)s 小时无用水，请尽快联系老人"),
    ),
    Condition.ALARM: (NotificationKind.ALARM, gettext_noop("%(device)s（%(where)s）报警，已转工单")),
    Condition.OFFLINE: (NotificationKind.OFFLINE, gettext_noop("%(device)s（%(where)s）已离线，请安排检查")),
}


def suppressed(device: Device, condition: str, at: datetime) -> bool:
    """Whether a false alarm of this device and condition still holds the same alert back."""
    return Alert.objects.filter(device=device, condition=condition, suppressed_until__gt=at).exists()


def live_alert(device: Device, condition: str) -> Alert | None:
    return Alert.objects.filter(device=device, condition=condition, status__in=LIVE).first()


def raise_alert(
    device: Device, condition: str, *, at: datetime, value: float | None = None, event: str = ""
) -> Alert | None:
    """The device's live alert of `condition`, repeated, or a new one (None: a false alarm
    suppresses it). An alarm becomes a case at once; the others tell the people who act. The
    live one is not looked for first: the callers have just read the live alerts, and the unique
    index answers for one raised since (by another worker too)."""
    if suppressed(device, condition, at):
        return None
    try:
        with transaction.atomic():  # a savepoint: the unique index keeps one live alert
            alert = Alert.objects.create(
                device=device,
                street_id=device.street_id,
                area_id=device.area_id,
                condition=condition,
                opened_at=at,
                last_at=at,
                value=value,
                event=event[:16],
            )
            events.log(
                alert,
                AlertAction.RAISE,
                None,
                at=at,
                payload={"device": device.vendor_id, "condition": condition, "value": value, "event": event},
            )
    except IntegrityError:
        live = live_alert(device, condition)
        if live is not None:
            repeat(live, at=at, value=value, event=event)
        return live
    if condition != Condition.ALARM:  # an alarm: ALARM_CASES, after the commit
        _tell(alert, at)
    return alert


def repeat(alert: Alert, *, at: datetime, value: float | None, event: str, times: int = 1) -> None:
    repeats([(alert.pk, times, at, value, event)])


def repeats(rows: list[tuple[int, int, datetime, float | None, str]]) -> None:
    """Alarms go on (alert id, readings, the latest's time, value and event): a count and the
    latest reading on each alert, one statement for all, no event. A chattering device would
    otherwise write an event per reading; the readings themselves are stored, and the trail
    keeps the steps people act on (raised, escalated, ended)."""
    update_values(
        Alert,
        ["repeats", "last_at", "value", "event"],
        [(pk, times, at, value, event[:16]) for pk, times, at, value, event in rows],
        combine={"repeats": "add", "last_at": "latest"},
    )


def recover(alert_id: int, *, at: datetime) -> bool:
    """The condition is over (use again, back online, the alarm cleared): the alert ends."""
    return ALERT_FRAME.run_system(alert_id, AlertAction.RECOVER, lambda ctx: ctx.set(closed_at=at))


def auto_escalate(alert_id: int) -> bool:
    """An alarm at once, a care alert nobody answered in time: a case (and a door visit)."""
    return ALERT_FRAME.run_system(alert_id, AlertAction.AUTO_ESCALATE, _escalate)


def _alarm_cases(batch: events.Batch) -> int:
    """The alarms raised since the last batch, each escalated if still open (idempotent: the
    machine escalates an alert once)."""
    return sum(auto_escalate(int(event.object_id)) for event in batch.events)


ALARM_CASES = events.Consumer(
    "sensors.alarm_cases",
    _alarm_cases,
    apps=frozenset({"sensors"}),
    actions=frozenset({AlertAction.RAISE}),
    where=Q(object_type="alert", payload__condition=Condition.ALARM),
)


@ALERT_FRAME.implements(AlertAction.ANSWER)
def answer(ctx: Context, *, note: str) -> None:
    ctx.set(closed_at=ctx.now, answered_by=ctx.actor, note=note)


@ALERT_FRAME.implements(AlertAction.ESCALATE)
def escalate(ctx: Context, *, note: str = "") -> None:
    ctx.set(answered_by=ctx.actor, note=note)
    _escalate(ctx)


@ALERT_FRAME.implements(AlertAction.FALSE_ALARM)
def false_alarm(ctx: Context, *, note: str) -> None:
    minutes = profile.value("sensors.suppress_minutes", ctx.obj.street_id)
    ctx.set(
        closed_at=ctx.now,
        answered_by=ctx.actor,
        note=note,
        suppressed_until=ctx.now + timedelta(minutes=minutes),
    )


# ---------------------------------------------------------------------------- escalation


def _escalate(ctx: Context) -> None:
    alert: Alert = ctx.obj
    device = Device.objects.select_related(
        "type", "type__category", "building", "street", "household", "person"
    ).get(pk=alert.device_id)
    case = _open_case(device, alert) if device.type.category_id else None
    visit = None
    household = device.household or (device.person.household if device.person else None)
    if alert.condition == Condition.NO_USE and household is not None:
        visit = plan_system_visit(
            household,
            planned_for=timezone.localdate(ctx.now),
            reasons=[CareKind.ALONE],
            why=f"sensors.alert:{alert.pk}",
        )
    ctx.set(case=case, visit=visit)
    if case is not None:
        ctx.payload["case"] = case.number
    if visit is not None:
        ctx.payload["visit"] = visit.pk


def _open_case(device: Device, alert: Alert) -> Any:
    category = device.type.category
    building = device.building
    lon = device.lon if device.lon is not None else (building.lon if building else None)
    lat = device.lat if device.lat is not None else (building.lat if building else None)
    what = {Condition.NO_USE: "连续无用水", Condition.ALARM: "报警", Condition.OFFLINE: "离线"}[
        Condition(alert.condition)
    ]
    reading = f"，读数 {alert.value:g}{device.type.unit}" if alert.value is not None else ""
    event = f"，事件 {alert.event}" if alert.event else ""
    where = device.where or device.street.name
    description = f"物联设备{what}：{device.type.name} {device.vendor_id}（{where}）{reading}{event}。"
    return create_case(
        CaseInput(
            request_type=str(category.inherited("default_request_type") or RequestType.REPORT),  # type: ignore[union-attr]
            category=category,  # type: ignore[arg-type]
            description=description,
            channel=Channel.SENSOR,
            urgency=device.type.urgency,
            lon=lon,
            lat=lat,
            address=building.address if building else "",
            source="sensors",
            external_id=f"sensors-alert-{alert.pk}",
            street=PlaceRef.of(device.street),
        ),
        None,
        find_duplicates=False,
        tell_reporter=False,
    )


def _tell(alert: Alert, at: datetime) -> None:
    """The people who act on a care or offline alert: the cadres of the device's area (the
    street's answering roles when it has none), the street office for an offline device."""
    device = Device.objects.select_related("type", "area", "building", "flat__building").get(
        pk=alert.device_id
    )
    users = get_user_model().objects.working_in(device.street_id, roles(ANSWER))
    if alert.condition == Condition.OFFLINE:
        users = users.filter(role__in=list(roles("sensors.devices")))
    elif device.area is not None:
        near = [a.pk for a in device.area.ancestors()] + [device.area.pk]
        local = users.filter(memberships__area_id__in=near)
        users = local if local.exists() else users
    kind, text = NOTICES[Condition(alert.condition)]
    hours = profile.value("sensors.no_use_hours", device.street_id)
    notifications.send_on_commit(
        list(users),
        alert,
        kind,
        text,
        f"sensors.alert:{alert.pk}",
        {"device": f"{device.type.name} {device.vendor_id}", "where": device.where, "hours": hours},
    )
