"""Celery tasks of inspections. Each is idempotent (acks_late runs a task again after a dead
worker): plan tasks by their unique plan/place/period."""

from celery import shared_task


@shared_task(name="civicgrid.inspections.tasks.generate_plan_tasks")
def generate_plan_tasks() -> int:
    """Celery beat runs this daily: every active plan's current period gets its tasks."""
    from .actions.plans import generate_tasks

    return generate_tasks()
