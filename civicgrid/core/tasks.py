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
