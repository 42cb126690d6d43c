"""The Celery app of a worker a resilience test means to kill mid-task
(`celery -A civicgrid.testing.paused_worker worker`, see resilience.start_worker): civicgrid's
app, whose pool process sleeps CIVICGRID_TEST_PAUSE seconds after each committed step — after a
job reports progress past zero (a committed chunk of an import) and after a notification task
wrote its notices — so the kill always lands with part of the work written and the message
unacknowledged. Production code keeps no hook for it: the wrappers are installed here, in the
pool process, around the functions the tasks call.
"""

import functools
import os
import time
from collections.abc import Callable
from typing import Any

from celery.signals import worker_process_init

from civicgrid.celery import app

__all__ = ["app"]

PAUSE = float(os.environ.get("CIVICGRID_TEST_PAUSE", "0"))


def _then_pause(func: Callable[..., Any], when: Callable[..., bool] = lambda *a, **kw: True) -> Any:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value = func(*args, **kwargs)
        if when(*args, **kwargs):
            time.sleep(PAUSE)
        return value

    return wrapper


@worker_process_init.connect
def _install(**_kwargs: Any) -> None:
    # Django is set up by now (the worker did it before forking its pool).
    from civicgrid.cases import notifications
    from civicgrid.core.jobs import JobRun

    notifications.send = _then_pause(notifications.send)  # type: ignore[method-assign]
    JobRun.progress = _then_pause(  # type: ignore[method-assign]
        JobRun.progress, lambda run, done, *a, **kw: done > 0
    )
