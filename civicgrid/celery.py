"""The Celery app. Tasks run on workers: on the broker CIVICGRID_CELERY_BROKER_URL names
(amqp://… or redis://…), else on files under CIVICGRID_CELERY_FILESYSTEM_DIR (the embedded
profile: one machine, no broker server; `make demo`/`make serve` start the worker and its beat).
Only the test suite runs them eagerly, in-process (settings.CELERY_TASK_ALWAYS_EAGER)."""

import contextlib
import os
from collections.abc import Iterator

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")

app = Celery("civicgrid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@contextlib.contextmanager
def in_process() -> Iterator[None]:
    """Run the tasks sent inside the block in this process, at once: for a command that makes
    thousands of writes (load_demo), whose one event-consumer kick per write would otherwise
    leave thousands of messages for the worker. Never for a request."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before
