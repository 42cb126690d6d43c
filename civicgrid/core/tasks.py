from datetime import timedelta

from celery import shared_task
from django.conf import settings

from . import clock


@shared_task(name="civicgrid.core.tasks.purge_jobs")
def purge_jobs() -> int:
    """Beat runs this daily: finished jobs and their files are kept CIVICGRID_JOB_RETENTION_DAYS."""
    from . import actions

    cutoff = clock.now() - timedelta(days=settings.CIVICGRID_JOB_RETENTION_DAYS)
    return actions.delete_jobs_before(cutoff)


@shared_task(name="civicgrid.core.tasks.consume_events")
def consume_events() -> dict[str, int]:
    """The live event consumers (core.events): kicked after each write that logged events, and
    by beat every few seconds. A consumer another worker is running is skipped (that worker
    or the next run reads on)."""
    from . import events

    return {report.name: report.watermark for report in events.run_all(live_only=True, wait=False)}
