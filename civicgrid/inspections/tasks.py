"""Celery tasks of inspections. Each is idempotent (acks_late may run one twice)."""

from typing import Any

from celery import shared_task


@shared_task(name="civicgrid.inspections.tasks.check_orders")
def check_orders() -> dict[str, Any]:
    """Celery beat runs this every few minutes (actions.order_deadlines.check_orders)."""
    from .actions.order_deadlines import check_orders as run

    return run()
