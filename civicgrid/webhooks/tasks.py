"""Celery tasks of the webhooks (queues: settings.CELERY_TASK_ROUTES — attempts on `notify`,
the sweeper and the purge on `default`). Idempotent: an attempt claims its delivery first
(delivery.attempt), so a redelivered or duplicated task sends nothing twice."""

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from civicgrid.core import clock


def _on_worker(task: Any) -> bool:
    """False in eager mode (the tests): there a Celery retry would run at once, in the
    caller, so the next attempt is left to the sweeper (send_due, send_webhooks)."""
    return not task.request.is_eager


@shared_task(name="civicgrid.webhooks.tasks.deliver", bind=True)
def deliver(self: Any, delivery_id: str) -> str | None:
    """One attempt; on a worker, a failed attempt asks Celery to run the next one after the
    back-off (delivery.backoff) until CIVICGRID_WEBHOOKS_MAX_ATTEMPTS."""
    from . import delivery

    outcome = delivery.attempt(delivery_id)
    if outcome.retry_in is not None and _on_worker(self):
        # The row's next_attempt_at says the same: the sweeper covers a lost retry message.
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.status


@shared_task(name="civicgrid.webhooks.tasks.send_due")
def send_due() -> int:
    """Beat, every minute: enqueue deliveries whose attempt is overdue by a grace period
    (their retry message was lost, or their worker died mid-attempt)."""
    from . import delivery

    due = delivery.due_ids(grace_seconds=settings.CIVICGRID_WEBHOOKS_SWEEP_GRACE_SECONDS)
    delivery.enqueue(due)
    return len(due)


@shared_task(name="civicgrid.webhooks.tasks.purge_deliveries")
def purge_deliveries() -> int:
    """Beat, daily: finished deliveries older than CIVICGRID_WEBHOOKS_RETENTION_DAYS."""
    from . import delivery

    return delivery.purge(clock.now() - timedelta(days=settings.CIVICGRID_WEBHOOKS_RETENTION_DAYS))
