"""Celery tasks of inspections. Each is idempotent (acks_late runs a task again after a dead
worker): order marks by the machine's guards, plan tasks by their unique plan/place/period."""

from typing import Any

from celery import shared_task


@shared_task(name="civicgrid.inspections.tasks.check_orders")
def check_orders() -> dict[str, Any]:
    """Celery beat runs this every few minutes (actions.order_deadlines.check_orders)."""
    from .actions.order_deadlines import check_orders as run

    return run()


@shared_task(name="civicgrid.inspections.tasks.generate_plan_tasks")
def generate_plan_tasks() -> int:
    """Celery beat runs this daily: every active plan's current period gets its tasks."""
    from .actions.plans import generate_tasks

    return generate_tasks()
