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


@shared_task(name="civicgrid.insights.tasks.weekly_topics")
def weekly_topics() -> list[int]:
    """Celery beat runs this on Mondays: a hot-topic run for every street (insights.jobs).
    Returns the ids of the jobs, each of which holds its run's outcome."""
    from .jobs import start_topics_for_all

    return start_topics_for_all()
