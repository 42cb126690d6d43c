"""The orders' deadline job: an open order past its deadline is supervised (逾期督办: flagged
overdue, the street's safety office told), and one still supervised
`inspections.escalate_after_days` working days later goes up a level (提级督办: the street's
leaders told). System transitions through ORDER_FRAME.run_system: the machine's guards decide
whether each applies now, so the job is idempotent, safe to run as often as you like."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_noop

from civicgrid.core import clock, notifications
from civicgrid.core.frame import Context

from ..choices import OPEN_ORDER_STATUSES, Escalation, NotificationKind, OrderAction, OrderStatus
from ..models import Order
from .frames import ORDER_FRAME
from .orders import leaders, office


def _supervise(ctx: Context) -> None:
    order: Order = ctx.obj
    ctx.set(is_overdue=True, overdue_at=ctx.now, escalation=Escalation.SUPERVISED)
    due = f"{timezone.localtime(order.due_at):%Y-%m-%d %H:%M}"
    ctx.payload["due_at"] = order.due_at.isoformat()
    notifications.send_on_commit(
        office(order.street_id),
        order,
        NotificationKind.ORDER_OVERDUE,
        gettext_noop("整改通知 %(number)s 已超过整改期限 %(due)s，已督办"),
        f"order-overdue:{order.pk}:{order.due_at.isoformat()}",
        {"number": order.number, "due": due},
    )


def _escalate(ctx: Context) -> None:
    order: Order = ctx.obj
    ctx.set(escalation=Escalation.ESCALATED)
    notifications.send_on_commit(
        leaders(order.street_id),
        order,
        NotificationKind.ORDER_OVERDUE,
        gettext_noop("整改通知 %(number)s 督办后仍未整改，已提级督办"),
        f"order-escalated:{order.pk}:{order.due_at.isoformat()}",
        {"number": order.number},
    )


def check_orders(now: datetime | None = None) -> dict[str, int]:
    """The periodic job; how many orders it supervised and escalated."""
    now = now or clock.now()
    # Reported orders wait for the level above: no longer the street's deadline to watch.
    watched = Order.objects.filter(status__in=OPEN_ORDER_STATUSES).exclude(status=OrderStatus.REPORTED)
    late = list(
        watched.filter(escalation=Escalation.NONE, due_at__lt=now).order_by("pk").values_list("pk", flat=True)
    )
    supervised = list(
        watched.filter(escalation=Escalation.SUPERVISED).order_by("pk").values_list("pk", flat=True)
    )
    with clock.at(now):
        marked = sum(ORDER_FRAME.run_system(pk, OrderAction.SUPERVISE, _supervise) for pk in late)
        raised = sum(ORDER_FRAME.run_system(pk, OrderAction.ESCALATE, _escalate) for pk in supervised)
    return {"supervised": marked, "escalated": raised}
