"""Keeping the rollups up to date without the cases app knowing about them.

The domain event log is the change log: every write to a case goes through cases.actions (or
the bulk intake path), and each logs a core.Event in the same transaction. The rollups are a
consumer of that log (`CONSUMER`, core.events: its watermark, its lock, the ids that are not
visible yet): a refresh takes the events after the watermark, finds the buckets — (street,
month of receipt) — of their cases, and recomputes those buckets from the cases table: delete
the bucket's rows, insert freshly counted ones. Recomputing (never adding deltas) makes a
refresh idempotent (events above a hole in the ids are handled again later: harmless), and
the consumer's lock makes concurrent refreshes run one after the other, so nothing is ever
counted twice.

A 12345 update may change a case's time of receipt (and so its month) without changing its
street; the old month is not in the event, so every month of that street is recomputed.

Cases written without any event (a raw SQL fix, the demo loader's back-dating) are not seen:
run `manage.py refresh_rollups --full` after such changes.
"""

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone

from civicgrid.cases.choices import CaseAction, CaseStatus, Resolution, Satisfaction
from civicgrid.cases.models import Callback, Case, CaseEvent
from civicgrid.core import events

from .models import CITY_DIMENSIONS, CaseRollup, CityRollup, DayRollup, Dimension, RollupState

log = logging.getLogger(__name__)

# Above this many new events a refresh rebuilds everything (cheaper than resolving each case).
FULL_REBUILD_EVENTS = 200_000

COUNTERS = (
    "total",
    "counted",
    "overdue",
    "response_numerator",
    "awaiting_response",
    "contacted",
    "resolution_numerator",
    "satisfaction_numerator",
    "closed",
    "on_time_closure_numerator",
    *(f"status_{s.value}" for s in CaseStatus),
)


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_of(moment: datetime) -> date:
    return timezone.localtime(moment, zone()).date().replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_start(month: date) -> datetime:
    # Months are calendar months in Asia/Shanghai, like the metrics' periods.
    return datetime(month.year, month.month, 1, tzinfo=zone())


# ---------------------------------------------------------------------------- the counts
# Same definitions as cases.metrics (docs/metrics.md); tests check the sums are equal.


def counted_q(prefix: str = "") -> Q:
    """metrics.COUNTED, optionally through a relation: merged children count once, via the master."""
    return Q(**{f"{prefix}master__isnull": True}) & ~Q(**{f"{prefix}status": CaseStatus.MERGED})


def _case_counts() -> dict[str, Any]:
    counted = counted_q()
    closed = Q(status=CaseStatus.CLOSED)
    closed_late = closed & Q(closed_at__isnull=False) & Q(GreaterThan(F("closed_at"), F("handling_due_at")))
    closed_on_time = (
        closed & Q(closed_at__isnull=False) & Q(LessThanOrEqual(F("closed_at"), F("handling_due_at")))
    )
    responded_on_time = Q(responded_at__isnull=False) & Q(
        LessThanOrEqual(F("responded_at"), F("response_due_at"))
    )
    counts: dict[str, Any] = {
        "total": Count("pk"),
        "counted": Count("pk", filter=counted),
        "overdue": Count("pk", filter=counted & (Q(is_overdue=True) | closed_late)),
        "response_numerator": Count("pk", filter=counted & responded_on_time),
        "awaiting_response": Count("pk", filter=counted & Q(responded_at__isnull=True)),
        "closed": Count("pk", filter=counted & closed),
        "on_time_closure_numerator": Count("pk", filter=counted & closed_on_time),
    }
    for status in CaseStatus:
        counts[f"status_{status.value}"] = Count("pk", filter=Q(status=status))
    return counts


def _latest_contacted_callbacks() -> Any:
    """Each counted case's answer: the resident's own rating, else its most recent callback
    that reached the requester (by at, then id, as metrics orders them): read from the
    callbacks side, so no per-case subquery is needed."""
    same_source = Q(by_resident=OuterRef("by_resident"))
    ahead = Q(by_resident__gt=OuterRef("by_resident")) | (
        same_source & (Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk")))
    )
    later = Callback.objects.filter(case=OuterRef("case"), contacted=True).filter(ahead)
    return Callback.objects.filter(counted_q("case__"), contacted=True).exclude(Exists(later))


def _callback_counts() -> dict[str, Any]:
    return {
        "contacted": Count("pk"),
        "resolution_numerator": Count("pk", filter=Q(resolution=Resolution.RESOLVED)),
        "satisfaction_numerator": Count(
            "pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY])
        ),
    }


# Two groupings cover the five dimensions: a grid lies in one residential area and one street,
# and (lead unit, category) pairs are few per street and month.
PLACE = ("street_id", "residential_area_id", "grid_id")
WORK = ("street_id", "lead_unit_id", "category_id")
PROJECTIONS: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {
    PLACE: (
        (Dimension.STREET, "street_id"),
        (Dimension.RESIDENTIAL_AREA, "residential_area_id"),
        (Dimension.GRID, "grid_id"),
    ),
    WORK: ((Dimension.UNIT, "lead_unit_id"), (Dimension.CATEGORY, "category_id")),
}


def _count_month(month: date, streets: set[int] | None) -> list[CaseRollup]:
    """Fresh rollup rows for the cases received in `month` in `streets` (None: every street)."""
    window = Q(received_at__gte=month_start(month), received_at__lt=month_start(next_month(month)))
    cases = Case.objects.filter(window)
    callbacks = _latest_contacted_callbacks().filter(
        case__received_at__gte=month_start(month), case__received_at__lt=month_start(next_month(month))
    )
    if streets is not None:
        cases = cases.filter(street_id__in=streets)
        callbacks = callbacks.filter(case__street_id__in=streets)
    rows: dict[tuple[int, str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for keys, projections in PROJECTIONS.items():
        # Aliased: "street_id" would clash with the callback's own street column.
        group = {f"g_{k}": F(k) for k in keys}
        via_case = {f"g_{k}": F(f"case__{k}") for k in keys}
        sources: tuple[Any, ...] = (
            cases.order_by().values(**group).annotate(**_case_counts()),
            callbacks.order_by().values(**via_case).annotate(**_callback_counts()),
        )
        for source in sources:
            found: dict[str, Any]
            for found in source:
                counts = {name: value for name, value in found.items() if not name.startswith("g_")}
                for dimension, key in projections:
                    bucket = rows[(found["g_street_id"], dimension, found[f"g_{key}"] or 0)]
                    for name, value in counts.items():
                        bucket[name] += value
    return [
        CaseRollup(street_id=street, month=month, dimension=dimension, member=member, **counts)
        for (street, dimension, member), counts in rows.items()
    ]


def _recompute(buckets: dict[date, set[int] | None]) -> int:
    """Replace the rows of the given (month → streets) buckets; returns the rows written."""
    written = 0
    for month in sorted(buckets):
        streets = buckets[month]
        fresh = _count_month(month, streets)
        stale = CaseRollup.objects.filter(month=month)
        if streets is not None:
            stale = stale.filter(street_id__in=streets)
        stale.delete()
        CaseRollup.objects.bulk_create(fresh, batch_size=2000)
        written += len(fresh) + _sum_city_month(month) + _recount_days(month, streets)
    return written


def _recount_days(month: date, streets: set[int] | None) -> int:
    """Replace the DayRollup rows of `month` (in `streets`): cases received per day and channel."""
    cases = Case.objects.filter(
        received_at__gte=month_start(month), received_at__lt=month_start(next_month(month))
    )
    stale = DayRollup.objects.filter(day__gte=month, day__lt=next_month(month))
    if streets is not None:
        cases = cases.filter(street_id__in=streets)
        stale = stale.filter(street_id__in=streets)
    # TruncDate reads the day in the current time zone (Asia/Shanghai, like the months).
    rows = (
        cases.order_by().values("street_id", "channel", day=TruncDate("received_at")).annotate(n=Count("pk"))
    )
    fresh = [
        DayRollup(street_id=r["street_id"], day=r["day"], channel=r["channel"], received=r["n"]) for r in rows
    ]
    stale.delete()
    DayRollup.objects.bulk_create(fresh, batch_size=2000)
    return len(fresh)


def _sum_city_month(month: date) -> int:
    """Replace the city rows of `month` by the sums of its street rows (a few thousand rows
    per month and dimension: cheap next to counting the cases)."""
    sums = (
        CaseRollup.objects.filter(month=month, dimension__in=CITY_DIMENSIONS)
        .order_by()
        .values("dimension", "member")
        .annotate(**{name: Sum(name) for name in COUNTERS})
    )
    fresh = [CityRollup(month=month, **row) for row in sums]
    CityRollup.objects.filter(month=month).delete()
    CityRollup.objects.bulk_create(fresh, batch_size=2000)
    return len(fresh)


def _all_months() -> dict[date, set[int] | None]:
    span = Case.objects.aggregate(first=Min("received_at"), last=Max("received_at"))
    if span["first"] is None:
        return {}
    months: dict[date, set[int] | None] = {}
    month, last = month_of(span["first"]), month_of(span["last"])
    while month <= last:
        months[month] = None
        month = next_month(month)
    return months


def _dirty_buckets(batch: events.Batch) -> dict[date, set[int] | None]:
    """The (month → streets) buckets of the cases touched by the batch's events."""
    touched = batch.queryset()
    buckets: dict[date, set[int] | None] = {}
    rows = Case.objects.filter(pk__in=touched.values("object_id")).values_list("street_id", "received_at")
    for street_id, received_at in rows.iterator(chunk_size=5000):
        month = month_of(received_at)
        streets = buckets.setdefault(month, set())
        assert streets is not None
        streets.add(street_id)
    # A new time of receipt may have moved a case out of a month we cannot name: the whole street.
    updates = CaseEvent.objects.filter(event__in=touched.filter(action=CaseAction.UPDATE).values("pk"))
    moved = {
        street_id
        for street_id, data in updates.values_list("street_id", "data")
        if "received_at" in ((data or {}).get("fields") or [])
    }
    if moved:
        for month in _all_months():
            streets = buckets.setdefault(month, set())
            assert streets is not None
            streets.update(moved)
    return buckets


# ---------------------------------------------------------------------------- refresh


@dataclass
class Refresh:
    ran: bool = True  # False: another refresh held the lock (wait=False)
    full: bool = False
    events: int = 0  # events after the previous watermark
    buckets: int = 0  # (street, month) buckets recomputed; every one on a full rebuild
    rows: int = 0
    watermark: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.ran:
            return "另一次汇总正在进行，本次跳过"
        kind = "全量重建" if self.full else "增量刷新"
        return (
            f"{kind}：{self.events} 条新动态，重算 {self.buckets} 个（街道, 月）桶，"
            f"写入 {self.rows} 行，进度至动态 #{self.watermark}，用时 {self.seconds:.2f} 秒"
        )


def refresh(*, full: bool = False, wait: bool = True, now: datetime | None = None) -> Refresh:
    """Bring the rollups up to date with the event log (see the module docstring)."""
    started = time.perf_counter()
    run = events.run(CONSUMER, wait=wait, now=now, full=full)
    if not run.ran:
        return Refresh(ran=False)
    report = Refresh(watermark=run.watermark)
    part: Refresh
    for part in run.results:
        report.full = report.full or part.full
        report.events += part.events
        report.buckets += part.buckets
        report.rows += part.rows
        report.notes += part.notes
    report.seconds = time.perf_counter() - started
    return report


def _refresh(batch: events.Batch) -> Refresh:
    """The consumer's handler: one batch of events (run under the consumer's lock)."""
    report = Refresh(events=batch.upto - batch.after, full=batch.full)
    if not report.full and batch.latest - batch.after > FULL_REBUILD_EVENTS:
        report.full = True
        report.notes.append(f"{batch.latest - batch.after} new events: rebuilt everything")
    state, _created = RollupState.objects.get_or_create(pk=1)
    if report.full:
        CaseRollup.objects.all().delete()
        CityRollup.objects.all().delete()
        buckets = _all_months()
        report.buckets = Case.objects.values("street_id").distinct().count() * len(buckets)
        report.events = batch.latest - batch.after
        batch.upto = batch.latest  # everything is counted afresh
        state.rebuilt_at = batch.now
    else:
        buckets = _dirty_buckets(batch)
        report.buckets = sum(len(s or ()) for s in buckets.values())
    report.rows = _recompute(buckets)
    state.refreshed_at = batch.now
    state.save()
    return report


# Not live: beat runs it on its own schedule (CIVICGRID_ROLLUP_REFRESH_SECONDS), never after
# each write; one batch holds as many events as an incremental refresh is worth.
# Case events only: the cases app also logs its patrols (model "patrol"), whose ids are no case's.
CONSUMER = events.Consumer(
    "insights.rollups",
    _refresh,
    apps=frozenset({"cases"}),
    where=Q(object_type=Case._meta.model_name),
    batch_size=FULL_REBUILD_EVENTS,
    live=False,
)
