"""Running a write again when SQLite refuses it with "database is locked".

SQLite answers a concurrent writer with that error instead of waiting (shared-cache databases,
or once the busy timeout is spent). The writer's transaction has rolled back, so it can simply
run again; PostgreSQL waits on row locks instead and never raises it. Inside a caller's
transaction no retry is possible: the error (or the caller's `give_up` exception) goes up.
"""

import functools
import random
import time
from collections.abc import Callable

from django.db import OperationalError, transaction

# How long a writer keeps retrying: a time budget, not a count, so fifty writers on a busy
# machine all get through (CI saw 30 short retries run out).
LOCK_RETRY_SECONDS = 10.0


def retry_when_locked[**P, R](
    give_up: Callable[[OperationalError], Exception] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A decorator: run the function again after "database is locked", with capped exponential
    back-off and jitter so the waiting writers spread out, for LOCK_RETRY_SECONDS; then raise
    `give_up(error)` (or the error itself)."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            deadline = time.monotonic() + LOCK_RETRY_SECONDS
            attempt = 0
            while True:
                try:
                    return func(*args, **kwargs)
                except OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
                    if transaction.get_connection().in_atomic_block or time.monotonic() >= deadline:
                        if give_up is None:
                            raise
                        raise give_up(exc) from exc
                time.sleep(min(0.2, 0.005 * 2**attempt) * (0.5 + random.random()))
                attempt += 1

        return wrapper

    return decorate
