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


@shared_task(name="civicgrid.insights.tasks.weekly_reports")
def weekly_reports() -> dict[str, Any]:
    """Celery beat: Mondays 07:00, every street's report of the week before."""
    from .choices import ReportKind
    from .report_jobs import scheduled_reports

    job = scheduled_reports(ReportKind.WEEKLY)
    return {"job": job.pk, "status": job.status}


@shared_task(name="civicgrid.insights.tasks.monthly_reports")
def monthly_reports() -> dict[str, Any]:
    """Celery beat: the 1st of the month 07:00, every street's report of the month before."""
    from .choices import ReportKind
    from .report_jobs import scheduled_reports

    job = scheduled_reports(ReportKind.MONTHLY)
    return {"job": job.pk, "status": job.status}


@shared_task(name="civicgrid.insights.tasks.plans_overdue")
def plans_overdue() -> int:
    """Celery beat runs this daily at 08:00: active plans past their deadline, told once each
    (insights.actions.plans.check_overdue)."""
    from .actions.plans import check_overdue

    return check_overdue()


@shared_task(name="civicgrid.insights.tasks.weekly_topics")
def weekly_topics() -> list[int]:
    """Celery beat runs this on Mondays: a hot-topic run for every street (insights.jobs).
    Returns the ids of the jobs, each of which holds its run's outcome."""
    from .jobs import start_topics_for_all

    return start_topics_for_all()
