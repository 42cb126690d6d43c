"""The working-day calendar: which days count for "N working days" time limits.

A day is a working day by, in order of precedence:
1. the Holiday table, when it has a row for that date (administrators fill it for years the
   package lacks, and may correct the package);
2. the `chinesecalendar` package (State Council schedule with 调休), when it covers the year;
3. Monday to Friday.

Holiday rows are cached per year in-process and dropped when a Holiday is saved or deleted
(signals below, connected when CoreConfig.ready imports this module). Other processes learn
of a change through a version number in the shared cache, checked at most once per second.
Changes made with queryset.update() or bulk_create() send no signals: call invalidate().
"""

import functools
import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from asgiref.local import Local
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import clock
from .versions import SharedVersion

# Time limits are Shanghai practice whatever the server's TIME_ZONE says.
SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)

VERSION_KEY = "civicgrid:holiday-version"
VERSION_CHECK_SECONDS = 1.0
# No real calendar has a year without working days; stop rather than loop for ever on bad data.
MAX_SCAN_DAYS = 3660


class Coverage(models.TextChoices):
    PACKAGE = "package", _("chinesecalendar 数据包")
    TABLE = "table", _("管理员录入的节假日表")
    WEEKENDS_ONLY = "weekends_only", _("仅按周一至周五计算")


# --- chinesecalendar -------------------------------------------------------------------


@functools.cache
def package_covers(year: int) -> bool:
    """Whether the installed chinesecalendar has the State Council schedule for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@functools.cache
def _package_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    # The package's own rule, precomputed: its is_workday() rescans all years on every call.
    offs = frozenset(d for d in chinese_calendar.holidays if d.year == year)
    ons = frozenset(d for d in chinese_calendar.workdays if d.year == year)
    return offs, ons


def _package_is_working_day(d: date) -> bool:
    offs, ons = _package_year(d.year)
    return d in ons or (d.weekday() < 5 and d not in offs)


def package_says_day_off(d: date) -> bool:
    """True when the package covers d's year and has d as a day off (holiday or weekend)."""
    return package_covers(d.year) and not _package_is_working_day(d)


# --- the Holiday table, cached per year ------------------------------------------------

_lock = threading.Lock()
_years: dict[int, dict[date, bool]] = {}
_version = SharedVersion(VERSION_KEY)
# Years this thread changed inside a transaction that has not committed yet: read straight
# from the database (the transaction sees its own rows) and never cached, so a rollback
# cannot leave rows in the cache that do not exist.
_local = Local()


def _dirty_years() -> set[int]:
    years = getattr(_local, "dirty_years", None)
    if years is None:
        years = _local.dirty_years = set()
    return years


def invalidate() -> None:
    """Drop this process's cached Holiday rows and tell the other processes to drop theirs."""
    with _lock:
        _years.clear()
    _version.bump()


def _sync_version() -> None:
    if _version.stale(VERSION_CHECK_SECONDS):
        with _lock:
            _years.clear()


def _load_year(year: int) -> dict[date, bool]:
    from .models import Holiday

    rows = Holiday.objects.filter(date__gte=date(year, 1, 1), date__lte=date(year, 12, 31))
    return dict(rows.values_list("date", "is_workday"))


def table_year(year: int) -> dict[date, bool]:
    """{date: is_workday} of the Holiday rows in `year` (do not modify the result)."""
    dirty = _dirty_years()
    if dirty:
        if transaction.get_connection().in_atomic_block:
            if year in dirty:
                return _load_year(year)
        else:
            # The transaction ended without committing (a commit would have cleared this).
            dirty.clear()
    _sync_version()
    with _lock:
        rows = _years.get(year)
    if rows is None:
        rows = _load_year(year)
        with _lock:
            _years[year] = rows
    return rows


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    from .models import Holiday

    return Holiday._meta.get_field("date").to_python(value)  # type: ignore[no-any-return]


def _holiday_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    years = {
        d.year for d in (_as_date(instance.date), _as_date(getattr(instance, "_loaded_date", None))) if d
    }
    instance._loaded_date = instance.date
    if transaction.get_connection().in_atomic_block:
        _dirty_years().update(years)

    def committed() -> None:
        _dirty_years().difference_update(years)
        invalidate()

    # Runs at once outside a transaction, after the commit inside one.
    transaction.on_commit(committed)


post_save.connect(_holiday_changed, sender="core.Holiday", dispatch_uid="core-holiday-save")
post_delete.connect(_holiday_changed, sender="core.Holiday", dispatch_uid="core-holiday-delete")


# --- the calendar ----------------------------------------------------------------------


class _Calendar:
    """One computation's view of the calendar: each year's rows are looked up once."""

    def __init__(self) -> None:
        self._tables: dict[int, dict[date, bool]] = {}

    def is_working_day(self, d: date) -> bool:
        table = self._tables.get(d.year)
        if table is None:
            table = self._tables[d.year] = table_year(d.year)
        if d in table:
            return table[d]
        if package_covers(d.year):
            return _package_is_working_day(d)
        return d.weekday() < 5

    def add(self, d: date, n: int) -> date:
        if n < 0:
            raise ValueError("n must be ≥ 0")
        day = d
        for _i in range(MAX_SCAN_DAYS):
            if n == 0:
                return day
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        raise ValueError(f"no working day found within {MAX_SCAN_DAYS} days after {d}")


def is_working_day(d: date) -> bool:
    return _Calendar().is_working_day(d)


def year_coverage(year: int) -> str:
    """Where `year`'s holidays come from: Coverage.TABLE when the table has any row for it,
    else Coverage.PACKAGE when chinesecalendar covers it, else Coverage.WEEKENDS_ONLY."""
    if table_year(year):
        return Coverage.TABLE
    if package_covers(year):
        return Coverage.PACKAGE
    return Coverage.WEEKENDS_ONLY


def coverage_warning(year: int) -> str | None:
    if year_coverage(year) != Coverage.WEEKENDS_ONLY:
        return None
    return gettext("%(year)s 年的法定节假日安排尚未录入，工作日按周一至周五计算，请在“节假日”中录入。") % {
        "year": str(year)
    }


def local_today() -> date:
    return timezone.localtime(clock.now(), SHANGHAI).date()


def _local_date(value: datetime | date) -> date:
    """The Shanghai calendar day of `value`; a naive datetime is taken as Shanghai time."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.date()
        return value.astimezone(SHANGHAI).date()
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=SHANGHAI)
    return value


def add_working_days(d: date, n: int) -> date:
    """The nth working day after d (d itself never counts); d when n = 0."""
    return _Calendar().add(d, n)


def working_day_deadline(received: datetime, n: int) -> datetime:
    """End (23:59:59 Shanghai) of the nth working day after the day of receipt; whatever the
    hour of receipt, counting starts the next day. n = 0: end of the day of receipt."""
    due = add_working_days(_local_date(received), n)
    return datetime.combine(due, END_OF_DAY, tzinfo=SHANGHAI)


def working_days_between(start: datetime | date, end: datetime | date) -> int:
    """Working days after start's day up to and including end's day (Shanghai days); 0 when
    end is not after start. working_days_between(deadline, closed_at) = working days late."""
    first, last = _local_date(start), _local_date(end)
    calendar = _Calendar()
    count = 0
    day = first + timedelta(days=1)
    while day <= last:
        count += calendar.is_working_day(day)
        day += timedelta(days=1)
    return count


def calendar_hours_deadline(
    received: datetime, hours: float | None = None, minutes: float | None = None
) -> datetime:
    """received + hours + minutes of clock time (emergencies), as Shanghai time."""
    if hours is None and minutes is None:
        raise ValueError("give hours or minutes")
    delta = timedelta(hours=hours or 0, minutes=minutes or 0)
    return (_aware(received).astimezone(UTC) + delta).astimezone(SHANGHAI)
