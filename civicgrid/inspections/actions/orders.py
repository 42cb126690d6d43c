"""Rectification orders (限期整改): issuing one from a failed item, and the bodies of the order
machine (inspections.workflow.ORDERS) run by ORDER_FRAME."""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import clock, events, numbering
from civicgrid.core.errors import InvalidInput

from .. import deadlines
from ..choices import OrderAction, Severity, TaskPurpose, TaskStatus
from ..models import Inspection, ItemResult, Order, OrderSequence, Place, Task

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
    Task.objects.create(
        street_id=place.street_id,
        place=place,
        order=order,
        purpose=TaskPurpose.RECHECK,
        due_on=recheck_day(order.due_at),
        assignee=recheck_by or actor,
        status=TaskStatus.OPEN,
    )
    return order
