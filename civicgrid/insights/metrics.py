"""The figures of cases.metrics, read from the rollups: same arguments, same output, the same
numbers (tests compare them on generated data), in time that does not grow with the number
of cases. For dashboards at city scale (docs/performance.md); cases.metrics stays the
definition (docs/metrics.md) and the live path.

A request is answered as:

    rollup rows of the whole months inside the period
  + cases.metrics live over the partial months at either end (if any)
  − a live count of the cases still waiting for their response within their limit
    (the response-rate denominator depends on the time of reading; a partial index finds them)

The rollups are as fresh as the last refresh (`rollups.refresh`, every minute under Celery
beat): figures may miss the last minute's changes; `freshness()` says how old they are.
Scopes that are not whole streets (handlers, residents, cadres and grid workers bound to
areas) and a category filter combined with another grouping are answered live by
cases.metrics: their slices are small, or no rollup row describes them.
"""

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from civicgrid.cases import metrics as live
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.figures import COUNTED
from civicgrid.cases.filters import CaseFilterSet
from civicgrid.cases.metrics import finish  # one output shape for both paths
from civicgrid.cases.models import Case, Category
from civicgrid.core import clock
from civicgrid.core.capabilities import grants
from civicgrid.core.inputs import as_id
from civicgrid.core.models import EventCursor
from civicgrid.core.querysets import user_scope
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from .models import CITY_DIMENSIONS, CaseRollup, CityRollup, Dimension, RollupState
from .rollups import CONSUMER, COUNTERS, next_month

NAMED_BY: dict[str, Any] = {
    Dimension.STREET: Area,
    Dimension.RESIDENTIAL_AREA: Area,
    Dimension.GRID: Area,
    Dimension.UNIT: Unit,
    Dimension.CATEGORY: Category,
}


def _street_q(street: Any) -> Q:
    """The street filter of cases.metrics, on rollup rows."""
    if isinstance(street, Area):
        return Q(street_id=street.pk)
    if isinstance(street, int):
        return Q(street_id=street)
    if isinstance(street, str) and len(street) < 9 and (pk := as_id(street)) is not None:
        return Q(street_id=pk)
    return Q(street__code=str(street))


def _usable(user: Any, group_by: str, category: Any, filters: Mapping[str, Any] | None) -> bool:
    scope = user_scope(user)
    if scope is None or filters:  # no rollup row knows statuses, grids, texts…
        return False
    if category not in (None, "") and group_by != Dimension.CATEGORY:
        return False
    return grants(scope, "insights.rollups") and (scope.is_global or scope.area_paths is None)


def _from_rollup(sums: dict[str, Any], not_yet_due: int) -> dict[str, int]:
    s = {name: int(sums.get(name) or 0) for name in COUNTERS}
    out = {"total": s["total"], "counted": s["counted"], "overdue": s["overdue"]}
    out.update({f"status_{st.value}": s[f"status_{st.value}"] for st in CaseStatus})
    # Cases whose response limit has not passed yet and are unanswered are not judged yet. The
    # live count is bounded by the rollup's own: between refreshes it cannot go negative.
    out["response_numerator"] = s["response_numerator"]
    out["response_denominator"] = s["counted"] - min(s["awaiting_response"], not_yet_due)
    out["resolution_numerator"] = s["resolution_numerator"]
    out["resolution_denominator"] = s["contacted"]
    out["satisfaction_numerator"] = s["satisfaction_numerator"]
    out["satisfaction_denominator"] = s["contacted"]
    out["on_time_closure_numerator"] = s["on_time_closure_numerator"]
    out["on_time_closure_denominator"] = s["closed"]
    return out


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for name, value in more.items():
        into[name] = into.get(name, 0) + value


def _sees_every_street(user: Any) -> bool:
    scope = user_scope(user)
    return scope is not None and scope.is_global


class _Plan:
    """Which months come from the rollups and which days are counted live."""

    def __init__(self, date_from: date | None, date_to: date | None) -> None:
        span = Case.objects.aggregate(first=Min("received_at"), last=Max("received_at"))
        self.empty = span["first"] is None
        if self.empty:
            return
        here = ZoneInfo(settings.TIME_ZONE)
        first, last = (timezone.localtime(span[k], here).date() for k in ("first", "last"))
        # A bound beyond every case's date of receipt filters nothing ("this year" ending today).
        start = None if date_from is None or date_from <= first else date_from
        end = None if date_to is None or date_to >= last else date_to
        self.months_from = (
            None if start is None else start if start.day == 1 else next_month(start.replace(day=1))
        )
        self.months_until = None  # exclusive
        if end is not None:
            after = end + timedelta(days=1)
            self.months_until = after if after.day == 1 else end.replace(day=1)
        self.live: list[tuple[date | None, date | None]] = []
        if self.months_from and self.months_until and self.months_from >= self.months_until:
            self.whole_live = True  # no whole month inside the period
            return
        self.whole_live = False
        if start is not None and self.months_from is not None and start < self.months_from:
            self.live.append((start, self.months_from - timedelta(days=1)))
        if end is not None and self.months_until is not None and self.months_until <= end:
            self.live.append((self.months_until, end))

    @property
    def rollup_days(self) -> tuple[date | None, date | None]:
        until = self.months_until - timedelta(days=1) if self.months_until else None
        return self.months_from, until

    def months(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        if self.months_from:
            qs = qs.filter(month__gte=self.months_from)
        if self.months_until:
            qs = qs.filter(month__lt=self.months_until)
        return qs


def _figures(
    user: Any,
    street: Any,
    date_from: Any,
    date_to: Any,
    group_by: str | None,
    category: Any,
    now: datetime | None,
    filters: Mapping[str, Any] | None,
) -> list[dict[str, Any]] | dict[str, Any]:
    """Grouped rows (group_by set) or the summary dict (group_by None)."""
    # The live path's input errors, and the period as days (the filter's one date rule).
    period = CaseFilterSet(
        live.criteria(street, date_from, date_to, category, filters), user=user, check_codes=False
    )
    period.checked()
    dimension = group_by or (Dimension.CATEGORY if category not in (None, "") else Dimension.STREET)
    plan = (
        _Plan(period.form.cleaned_data.get("date_from"), period.form.cleaned_data.get("date_to"))
        if _usable(user, dimension, category, filters)
        else None
    )
    if plan is None or plan.empty or plan.whole_live:
        if group_by is None:
            return live.summary(user, street, date_from, date_to, category, now=now, filters=filters)
        return live.compute(user, street, date_from, date_to, group_by, category, now=now, filters=filters)
    now = now or clock.now()

    rows: QuerySet[Any]
    if street in (None, "") and dimension in CITY_DIMENSIONS and _sees_every_street(user):
        rows = plan.months(CityRollup.objects.restrict(user, "view").filter(dimension=dimension))
    else:
        rows = plan.months(CaseRollup.objects.restrict(user, "view").filter(dimension=dimension))
    if street not in (None, ""):
        rows = rows.filter(_street_q(street))
    if category not in (None, ""):
        rows = rows.filter(
            member__in=Category.objects.branch(period.form.cleaned_data["category"]).values("pk")
        )
    sums = {name: Sum(name) for name in COUNTERS}
    # Unanswered cases whose response limit is still ahead (few: the last day or so).
    waiting = (
        live.filtered(user, street, *plan.rollup_days, category)
        .filter(COUNTED, responded_at__isnull=True, response_due_at__gt=now)
        .order_by()
    )

    if group_by is None:
        total = _from_rollup(rows.aggregate(**sums), waiting.count())
        for window in plan.live:
            _add(total, live.raw_counts(live.summary(user, street, *window, category, now=now)))
        return finish({**total, "key": None, "code": "", "name": "合计"})

    fk = live.GROUPS[group_by]
    not_yet_due = {r["key"]: r["n"] for r in waiting.values(key=F(f"{fk}_id")).annotate(n=Count("pk"))}
    groups: dict[int | None, dict[str, int]] = {}
    grouped: Any = rows.values("member").annotate(**sums)
    for found in grouped:
        key = found["member"] or None
        groups[key] = _from_rollup(found, not_yet_due.get(key, 0))
    labels: dict[int | None, tuple[str, str]] = {}
    for window in plan.live:
        for row in live.compute(user, street, *window, group_by, category, now=now):
            _add(groups.setdefault(row["key"], {}), live.raw_counts(row))
            labels[row["key"]] = (row["code"], row["name"])
    missing = [k for k in groups if k is not None and k not in labels]
    model = NAMED_BY[dimension]
    shown = ["code", "name", *(["name_en"] if model is Category else [])]
    for obj in model.objects.filter(pk__in=missing).only(*shown):
        labels[obj.pk] = (obj.code, getattr(obj, "label", obj.name))  # a category in the reader's language
    out = [
        finish(
            {**counts, "key": key, "code": labels.get(key, ("", ""))[0], "name": labels.get(key, ("", ""))[1]}
        )
        for key, counts in groups.items()
    ]
    out.sort(key=lambda g: (g["key"] is None, g["code"], g["name"], g["key"] or 0))
    return out


def compute(
    user: Any,
    street: Any = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    group_by: str = "street",
    category: Any = None,
    now: datetime | None = None,
    filters: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """cases.metrics.compute(), from the rollups where they can answer."""
    live.check_group_by(group_by)
    result = _figures(user, street, date_from, date_to, group_by, category, now, filters)
    assert isinstance(result, list)
    return result


def summary(
    user: Any,
    street: Any = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    category: Any = None,
    now: datetime | None = None,
    filters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """cases.metrics.summary(), from the rollups where they can answer."""
    result = _figures(user, street, date_from, date_to, None, category, now, filters)
    assert isinstance(result, dict)
    return result


def freshness() -> dict[str, Any]:
    """How far the rollups go: the last refresh and the last event id it covers."""
    state = RollupState.objects.filter(pk=1).first()
    cursor = EventCursor.objects.filter(pk=CONSUMER.name).first()
    return {
        "refreshed_at": state.refreshed_at if state else None,
        "last_event_id": cursor.last_event_id if cursor else 0,
    }
