"""The service centre's figures, from rows the caller already restricted to the reader: the
queue now, waiting times (called − arrived: mean, median, 90th percentile) per day and per
item, served per day, the no-show rate, and 上门办 done on time (done_at's day ≤ due_on), late
or still open past its due day. Days are local (Asia/Shanghai) whole days."""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import mean, median
from typing import Any

from django.utils import timezone

from .choices import AppointmentStatus, HomeServiceStatus

OPEN_HOME = (HomeServiceStatus.REQUESTED, HomeServiceStatus.SCHEDULED)


@dataclass(frozen=True)
class Waits:
    count: int
    mean: float | None
    median: float | None
    p90: float | None


def waits(minutes: list[float]) -> Waits:
    """Mean, median and 90th percentile (nearest rank) of waiting minutes, one decimal."""
    if not minutes:
        return Waits(0, None, None, None)
    ordered = sorted(minutes)
    p90 = ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]
    return Waits(len(ordered), round(mean(ordered), 1), round(median(ordered), 1), round(p90, 1))


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The aware start of `first` and the start of the day after `last`."""
    return (
        timezone.make_aware(datetime.combine(first, time.min)),
        timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min)),
    )


def queue_now(appointments: Any, today: date) -> int:
    start, end = bounds(today, today)
    return int(
        appointments.filter(
            status=AppointmentStatus.WAITING, arrived_at__gte=start, arrived_at__lt=end
        ).count()
    )


def _called(appointments: Any, first: date, last: date) -> list[tuple[date, str, float]]:
    start, end = bounds(first, last)
    rows = appointments.filter(
        arrived_at__gte=start, arrived_at__lt=end, called_at__isnull=False
    ).values_list("arrived_at", "called_at", "item__name")
    return [
        (timezone.localtime(arrived).date(), name, (called - arrived).total_seconds() / 60)
        for arrived, called, name in rows
    ]


def waiting(appointments: Any, first: date, last: date) -> Waits:
    return waits([m for _day, _item, m in _called(appointments, first, last)])


def waiting_by(appointments: Any, first: date, last: date) -> dict[str, Any]:
    """Waits per day (in order) and per item (most waited first), one query."""
    by_day: dict[date, list[float]] = defaultdict(list)
    by_item: dict[str, list[float]] = defaultdict(list)
    for day, name, minutes in _called(appointments, first, last):
        by_day[day].append(minutes)
        by_item[name].append(minutes)
    items = sorted(((n, waits(m)) for n, m in by_item.items()), key=lambda r: -(r[1].mean or 0))
    return {"days": [(d, waits(by_day[d])) for d in sorted(by_day)], "items": items}


def served_per_day(appointments: Any, first: date, last: date) -> list[tuple[date, int]]:
    start, end = bounds(first, last)
    done = appointments.filter(
        status=AppointmentStatus.DONE, finished_at__gte=start, finished_at__lt=end
    ).values_list("finished_at", flat=True)
    counts: dict[date, int] = defaultdict(int)
    for at in done:
        counts[timezone.localtime(at).date()] += 1
    return sorted(counts.items())


def no_show_rate(appointments: Any, first: date, last: date) -> tuple[int, int, float | None]:
    """(no-shows, bookings whose time came, percent) for booked slots in the period."""
    start, end = bounds(first, last)
    came_due = appointments.filter(slot__starts_at__gte=start, slot__starts_at__lt=end).exclude(
        status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.BOOKED]
    )
    statuses = list(came_due.values_list("status", flat=True))
    missed = statuses.count(AppointmentStatus.NO_SHOW)
    return missed, len(statuses), round(100 * missed / len(statuses), 1) if statuses else None


@dataclass(frozen=True)
class HomeFigures:
    on_time: int
    late: int
    open_overdue: int

    @property
    def done(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_pct(self) -> float | None:
        return round(100 * self.on_time / self.done, 1) if self.done else None


def home_on_time(requests: Any, first: date, last: date, today: date) -> HomeFigures:
    """Of the requests done in the period, on time and late; and those still open past due."""
    start, end = bounds(first, last)
    done = requests.filter(status=HomeServiceStatus.DONE, done_at__gte=start, done_at__lt=end)
    on_time = late = 0
    for done_at, due_on in done.values_list("done_at", "due_on"):
        if timezone.localtime(done_at).date() <= due_on:
            on_time += 1
        else:
            late += 1
    overdue = requests.filter(status__in=OPEN_HOME, due_on__lt=today).count()
    return HomeFigures(on_time, late, overdue)
