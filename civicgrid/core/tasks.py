from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from . import clock


@shared_task(name="civicgrid.core.tasks.run_job", bind=True)
def run_job(self: Any, job_id: int) -> str:
    """Every background job, whatever its kind (core.jobs.run); core.jobs.submit sends it to the
    kind's queue."""
    from . import jobs

    return jobs.run(job_id, task_id=self.request.id or "")


@shared_task(name="civicgrid.core.tasks.purge_jobs")
def purge_jobs() -> int:
    """Beat runs this daily: finished jobs and their files are kept CIVICGRID_JOB_RETENTION_DAYS."""
    from . import actions

    cutoff = clock.now() - timedelta(days=settings.CIVICGRID_JOB_RETENTION_DAYS)
    return actions.delete_jobs_before(cutoff)


@shared_task(name="civicgrid.core.tasks.send_notification")
def send_notification(
    user_ids: list[int],
    about: list[Any] | None,
    kind: str,
    text: str,
    key: str,
    params: dict[str, Any] | None = None,
) -> int:
    """Write the inbox rows of one notice (core.notifications.send); returns how many were
    new, 0 when a redelivered task finds them written already."""
    from . import notifications

    return notifications.send(user_ids, about, kind, text, key, params)


@shared_task(name="civicgrid.core.tasks.consume_events")
def consume_events() -> dict[str, int]:
    """The live event consumers (core.events): kicked after each write that logged events, and
    by beat every few seconds. A consumer another worker is running is skipped (that worker
    or the next run reads on)."""
    from . import events

    return {report.name: report.watermark for report in events.run_all(live_only=True, wait=False)}


@shared_task(name="civicgrid.core.tasks.send_message")
def send_message(delivery_id: int) -> str:
    """One e-mail or text message (core.messaging.attempt): sent at most once; a failure
    waits for beat's send_due_messages."""
    from . import messaging

    return messaging.attempt(delivery_id)


@shared_task(name="civicgrid.core.tasks.send_due_messages")
def send_due_messages() -> int:
    """Beat runs this every minute: retries that are due, and messages whose task was lost."""
    from . import messaging

    return messaging.send_due()
