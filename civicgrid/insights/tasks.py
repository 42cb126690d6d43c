from typing import Any

from celery import shared_task


@shared_task(name="civicgrid.insights.tasks.refresh_rollups")
def refresh_rollups() -> dict[str, Any]:
    """Celery beat runs this every minute. If the previous run still holds the lock, this one
    returns at once: the next minute's run picks up whatever was missed."""
    from . import rollups

    report = rollups.refresh(wait=False)
    return {
        "ran": report.ran,
        "events": report.events,
        "buckets": report.buckets,
        "watermark": report.watermark,
    }


@shared_task(name="civicgrid.insights.tasks.plans_overdue")
def plans_overdue() -> int:
    """Celery beat runs this daily at 08:00: active plans past their deadline, told once each
    (insights.actions.plans.check_overdue)."""
    from .actions.plans import check_overdue

    return check_overdue()
