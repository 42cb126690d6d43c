"""Celery tasks of the work-order loop. Each is idempotent, because with acks_late a task whose
worker died runs again (settings CELERY_TASK_*): notifications by their keys, jobs by
core.actions.start_job (a finished job is not run again; a running one starts over — the
12345 import skips rows already imported). Queues: settings.CELERY_TASK_ROUTES."""

import time
from typing import Any

from celery import shared_task
from django.conf import settings


def pause_for_tests() -> None:
    """Test-only (CIVICGRID_TASK_TEST_PAUSE): sleep after a committed step, so a resilience test
    can kill the worker mid-task."""
    if settings.CIVICGRID_TASK_TEST_PAUSE:
        time.sleep(settings.CIVICGRID_TASK_TEST_PAUSE)


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
) -> int:
    """Write the inbox rows of one notice about a case or, `about`, any object
    (notifications.send); returns how many were new, 0 when a redelivered task finds them
    written already."""
    from . import notifications

    sent = notifications.send(audience, case_id, kind, text, key, about)
    pause_for_tests()
    return sent


@shared_task(name="civicgrid.cases.tasks.run_import", bind=True)
def run_import(self: Any, job_id: int) -> str:
    from . import jobs

    return jobs.run_import(job_id, task_id=self.request.id or "")


@shared_task(name="civicgrid.cases.tasks.run_export", bind=True)
def run_export(self: Any, job_id: int) -> str:
    from . import jobs

    return jobs.run_export(job_id, task_id=self.request.id or "")


@shared_task(name="civicgrid.cases.tasks.run_report", bind=True)
def run_report(self: Any, job_id: int) -> str:
    from . import jobs

    return jobs.run_report(job_id, task_id=self.request.id or "")
