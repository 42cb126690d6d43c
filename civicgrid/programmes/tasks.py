"""Celery tasks of programmes. Idempotent: the overdue mark is a system transition the machine
allows once, the notices carry keys."""

from celery import shared_task


@shared_task(name="civicgrid.programmes.tasks.check_milestones")
def check_milestones() -> int:
    """Celery beat runs this daily (actions.projects.mark_overdue_milestones)."""
    from .actions.projects import mark_overdue_milestones

    return mark_overdue_milestones()
