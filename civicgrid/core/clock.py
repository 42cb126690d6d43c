"""The one clock of the platform.

Every action, the deadline job, rollups and jobs ask `now()` for the current time, never
`timezone.now()` directly, so that a block of code can run *at* another moment: the demo
replays a year of cases at the times it simulates, and tests run a scenario at a date they
choose. `at(moment)` sets that moment for the current context (thread or task) only.
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime

from django.utils import timezone

_fixed: ContextVar[datetime | None] = ContextVar("civicgrid_clock", default=None)


def now() -> datetime:
    """The current moment (aware), or the one an enclosing `at()` set."""
    fixed = _fixed.get()
    return fixed if fixed is not None else timezone.now()


def localtime() -> datetime:
    """`now()` in the site's time zone."""
    return timezone.localtime(now())


def today() -> date:
    """The site's calendar date at `now()`."""
    return localtime().date()


@contextlib.contextmanager
def at(moment: datetime) -> Iterator[datetime]:
    """Run the block as if it were `moment` (aware); blocks nest, the innermost wins."""
    if timezone.is_naive(moment):
        raise ValueError("clock.at() needs an aware datetime")
    token = _fixed.set(moment)
    try:
        yield moment
    finally:
        _fixed.reset(token)
