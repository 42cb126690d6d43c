"""Rectification orders (限期整改): issuing one from a failed item, and the bodies of the order
machine (inspections.workflow.ORDERS) run by ORDER_FRAME. Each body changes fields through
`ctx.set`; the frame applies the table's target status, bumps the version and logs the event."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.cases.actions.intake import open_case_at
from civicgrid.cases.choices import Channel
from civicgrid.core import clock, events, notifications, numbering
from civicgrid.core.capabilities import roles
from civicgrid.core.choices import Role
from civicgrid.core.errors import InvalidInput
from civicgrid.core.frame import FilesContext

from .. import deadlines
from ..checkin import beyond, distance_from
from ..choices import (
    Escalation,
    NotificationKind,
    OrderAction,
    OrderPhoto,
    Severity,
    TaskAction,
    TaskPurpose,
    TaskStatus,
)
from ..models import Inspection, ItemResult, Order, OrderSequence, Place, Task
from .frames import ORDER_FRAME, TASK_FRAME

ORDER_PREFIX = "ZG"


def next_number(place: Place, at: datetime) -> str:
    """整改通知书编号: ZG-<street code>-<year>-<serial>, gap-free per street and year."""
    year = timezone.localtime(at).year
    serial = numbering.take(OrderSequence, place.street_id, year)
    return f"{ORDER_PREFIX}-{place.street.code}-{year}-{serial:05d}"


def recheck_day(due_at: datetime) -> Any:
    """The re-inspection is due on the deadline's own day (the next day for one due at midnight)."""
    return timezone.localtime(due_at - timedelta(seconds=1)).date()


def issue_order(
    actor: Any,
    place: Place,
    *,
    finding: str,
    severity: str = Severity.GENERAL,
    rule: str = "",
    requirement: str = "",
    evidence_required: str = "",
    responsible: str = "",
    inspection: Inspection | None = None,
    result: ItemResult | None = None,
    deadline_amount: int | None = None,
    deadline_unit: str | None = None,
    recheck_by: Any = None,
) -> Order:
    """下达整改通知 inside the caller's transaction: numbered, its deadline from the severity
    (the street's default) unless the inspector set one, its event `issue` logged, and a
    re-check task at the deadline for `recheck_by` (the inspector by default), which appears
    on their phone page. The caller has checked that `actor` may inspect `place`."""
    finding = (finding or "").strip()
    if not finding:
        raise InvalidInput(_("请填写存在问题"), {"finding": "required"})
    if severity not in Severity.values:
        raise InvalidInput(_("严重程度不正确"), {"severity": "invalid"})
    now = clock.now()
    deadline = deadlines.chosen(severity, place.street_id, deadline_amount, deadline_unit)
    order = Order.objects.create(
        number=next_number(place, now),
        street_id=place.street_id,
        place=place,
        inspection=inspection,
        result=result,
        severity=severity,
        finding=finding,
        rule=rule,
        requirement=requirement,
        evidence_required=evidence_required,
        responsible=(responsible or place.responsible_name or place.name)[:100],
        deadline_amount=deadline.amount,
        deadline_unit=deadline.unit,
        issued_at=now,
        due_at=deadline.due(now),
        issued_by=actor,
    )
    events.log(
        order,
        OrderAction.ISSUE,
        actor,
        at=now,
        payload={"place": place.pk, "severity": severity, "due_at": order.due_at.isoformat()},
    )
    assignee = recheck_by or actor
    _recheck_task(order, assignee)
    if assignee is not None:
        notifications.send_on_commit(
            [assignee],
            order,
            NotificationKind.ORDER,
            gettext_noop("整改通知 %(number)s 已下达，请于 %(due)s 前复查"),
            f"order-issued:{order.pk}",
            {"number": order.number, "due": _local(order.due_at)},
        )
    return order


def _local(at: datetime) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


def _recheck_task(order: Order, assignee: Any) -> Task:
    """The re-inspection at the order's deadline, on the assignee's phone page."""
    return Task.objects.create(
        street_id=order.street_id,
        place=order.place,
        order=order,
        purpose=TaskPurpose.RECHECK,
        due_on=recheck_day(order.due_at),
        assignee=assignee,
        status=TaskStatus.OPEN,
    )


# ---------------------------------------------------------------------------- audiences


def office(street_id: int) -> list[Any]:
    """The street's safety office: the accounts holding inspections.manage there."""
    return list(get_user_model().objects.working_in(street_id, roles("inspections.manage")))


def leaders(street_id: int) -> list[Any]:
    return list(get_user_model().objects.working_in(street_id, [Role.LEADER]))


# ---------------------------------------------------------------------------- the machine's bodies


def _open_recheck(order: Order) -> Task | None:
    return order.tasks.filter(purpose=TaskPurpose.RECHECK, status=TaskStatus.OPEN).order_by("pk").first()


def _complete_recheck(ctx: FilesContext) -> Task | None:
    """Complete the order's open re-check task (its own event); the task that was done."""
    task = _open_recheck(ctx.obj)
    if task is None:
        return None
    with TASK_FRAME.acting(task.pk, TaskAction.COMPLETE, ctx.actor):
        pass
    return task


def _checkin(ctx: FilesContext, lon: float | None, lat: float | None, accuracy: float | None) -> None:
    """Where the inspector's phone was, and how far from the place (flagged beyond the
    street's inspections.checkin_far_m), kept in the event's payload."""
    if lon is None or lat is None:
        return
    distance = distance_from(ctx.obj.place, lon, lat)
    ctx.payload["checkin"] = {
        "lon": round(lon, 6),
        "lat": round(lat, 6),
        "accuracy_m": None if accuracy is None else round(accuracy),
        "distance_m": distance,
        "far": beyond(distance, ctx.obj.street_id),
    }


@ORDER_FRAME.implements(OrderAction.REPORT_DONE)
def report_done(ctx: FilesContext, *, note: str, photos: list[Any] | None = None) -> None:
    """The party's (or the inspector's) report that the finding is put right, with evidence."""
    ctx.note = note
    ctx.photos, ctx.stage = list(photos or []), OrderPhoto.EVIDENCE


@ORDER_FRAME.implements(OrderAction.RECHECK_PASS)
def recheck_pass(
    ctx: FilesContext,
    *,
    note: str,
    photos: list[Any] | None = None,
    checkin_lon: float | None = None,
    checkin_lat: float | None = None,
    checkin_accuracy: float | None = None,
) -> None:
    """复查合格销号."""
    order: Order = ctx.obj
    ctx.set(closed_at=ctx.now, rechecks=order.rechecks + 1)
    ctx.note = note
    _checkin(ctx, checkin_lon, checkin_lat, checkin_accuracy)
    task = _complete_recheck(ctx)
    ctx.payload["task"] = task.pk if task is not None else None
    ctx.photos, ctx.stage = list(photos or []), OrderPhoto.RECHECK


@ORDER_FRAME.implements(OrderAction.RECHECK_FAIL)
def recheck_fail(
    ctx: FilesContext,
    *,
    note: str,
    deadline_amount: int | None = None,
    deadline_unit: str | None = None,
    photos: list[Any] | None = None,
    checkin_lon: float | None = None,
    checkin_lat: float | None = None,
    checkin_accuracy: float | None = None,
) -> None:
    """复查不合格: a new deadline from now (the inspector's, else the severity's default), the
    order no longer overdue nor escalated, and a new re-check task at the new deadline."""
    order: Order = ctx.obj
    deadline = deadlines.chosen(order.severity, order.street_id, deadline_amount, deadline_unit)
    ctx.set(
        due_at=deadline.due(ctx.now),
        deadline_amount=deadline.amount,
        deadline_unit=deadline.unit,
        rechecks=order.rechecks + 1,
        is_overdue=False,
        overdue_at=None,
        escalation=Escalation.NONE,
    )
    ctx.note = note
    ctx.payload["due_at"] = order.due_at.isoformat()
    _checkin(ctx, checkin_lon, checkin_lat, checkin_accuracy)
    done = _complete_recheck(ctx)
    task = _recheck_task(order, done.assignee if done is not None and done.assignee else ctx.actor)
    ctx.payload["task"] = task.pk
    ctx.photos, ctx.stage = list(photos or []), OrderPhoto.RECHECK


@ORDER_FRAME.implements(OrderAction.EXTEND)
def extend(ctx: FilesContext, *, deadline_amount: int, deadline_unit: str | None = None, note: str) -> None:
    """延长整改期限 from now: no longer overdue; the supervision and escalation stay in the
    events, the escalation level on the order until the deadline is missed again."""
    order: Order = ctx.obj
    deadline = deadlines.chosen(order.severity, order.street_id, deadline_amount, deadline_unit)
    ctx.note = note
    ctx.payload["previous_due_at"] = order.due_at.isoformat()
    ctx.set(
        due_at=deadline.due(ctx.now),
        deadline_amount=deadline.amount,
        deadline_unit=deadline.unit,
        is_overdue=False,
        overdue_at=None,
        escalation=Escalation.NONE,
    )
    ctx.payload["due_at"] = order.due_at.isoformat()
    task = _open_recheck(order)
    if task is not None:
        task.due_on = recheck_day(order.due_at)
        task.save(update_fields=["due_on"])


@ORDER_FRAME.implements(OrderAction.REPORT_UP)
def report_up(ctx: FilesContext, *, to: str, note: str) -> None:
    """上报上级: what the street cannot solve, to whom and why; the leaders are told."""
    order: Order = ctx.obj
    ctx.set(reported_reason=note, reported_at=ctx.now)
    ctx.note = note
    ctx.payload["to"] = to
    notifications.send_on_commit(
        leaders(order.street_id),
        order,
        NotificationKind.ORDER,
        gettext_noop("整改通知 %(number)s 已上报%(to)s"),
        f"order-reported:{order.pk}:{order.version}",
        {"number": order.number, "to": to},
    )


@ORDER_FRAME.implements(OrderAction.OPEN_CASE)
def open_case(ctx: FilesContext, *, category: Any, description: str) -> None:
    """整改转工单: another unit must act; a case at the place (channel inspection), linked both ways."""
    place = ctx.obj.place
    case = open_case_at(
        ctx.actor,
        category=category,
        description=description,
        channel=Channel.INSPECTION,
        lon=place.lon,
        lat=place.lat,
        address=place.address or place.name,
    )
    ctx.set(case=case)
    ctx.payload["case"] = case.number


@ORDER_FRAME.implements(OrderAction.CANCEL)
def cancel(ctx: FilesContext, *, note: str) -> None:
    ctx.note = note
    task = _open_recheck(ctx.obj)
    if task is not None:
        with TASK_FRAME.acting(task.pk, TaskAction.CANCEL, ctx.actor, params={"note": note}):
            pass
