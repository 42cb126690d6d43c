"""Celery tasks of the work-order loop. Each is idempotent, because with acks_late a task whose
worker died runs again (settings CELERY_TASK_*): notifications by their keys. The background
jobs (jobs.py) run on core's generic task (core.tasks.run_job). Queues:
settings.CELERY_TASK_ROUTES."""

from typing import Any

from celery import shared_task


@shared_task(name="civicgrid.cases.tasks.check_deadlines")
def check_deadlines() -> dict[str, Any]:
    """Celery beat runs this every few minutes; it is idempotent (see actions.check_deadlines)."""
    from . import actions

    return actions.check_deadlines()


@shared_task(name="civicgrid.cases.tasks.send_notification")
def send_notification(
    audience: dict[str, Any],
    case_id: int | None,
    kind: str,
    text: str,
    key: str,
    about: list[Any] | None = None,
    params: dict[str, Any] | None = None,
) -> int:
    """Write the inbox rows of one notice about a case or, `about`, any object
    (notifications.send); returns how many were new, 0 when a redelivered task finds them
    written already."""
    from . import notifications

    return notifications.send(audience, case_id, kind, text, key, about, params)
