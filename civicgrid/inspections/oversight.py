"""What the safety office oversees, in the reader's scope: coverage of inspections against the
plans of a period (per residential area, per kind of place, each campaign against its target),
the open and overdue orders by area and kind, and the repeat offenders. Queries only, a fixed
number of them whatever the number of rows: the views render what these return."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.core import clock, profile
from civicgrid.core.choices import Action

from .actions.plans import covers
from .choices import OPEN_ORDER_STATUSES, Escalation, PlaceKind, PlanKind
from .coverage import percent
from .models import Inspection, Order, Place, Plan, Task
from .task_filters import WEEK, TaskFilterSet

REPEAT_WINDOW = timedelta(days=365)
REPEAT_SETTING = "inspections.repeat_offender_orders"
NO_AREA = 0


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def this_month(cls, today: date | None = None) -> "Period":
        today = today or clock.today()
        following = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return cls(today.replace(day=1), following - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as [start, end) instants of Beijing days."""
        zone = ZoneInfo(settings.TIME_ZONE)
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


@dataclass
class Coverage:
    """Places due under the period's plans and how many of them were inspected in it."""

    key: Any
    label: str
    due: int = 0
    inspected: int = 0
    target: int | None = None

    @property
    def percent(self) -> int | None:
        return percent(self.inspected, self.due) if self.due else None

    @property
    def on_target(self) -> bool | None:
        if self.target is None or self.percent is None:
            return None
        return self.percent >= self.target


@dataclass
class CoverageReport:
    total: Coverage
    by_area: list[Coverage] = field(default_factory=list)
    by_kind: list[Coverage] = field(default_factory=list)
    campaigns: list[Coverage] = field(default_factory=list)


@dataclass
class OrderCounts:
    key: Any
    label: str
    open: int = 0
    overdue: int = 0
    supervised: int = 0
    escalated: int = 0


@dataclass
class OrderReport:
    total: OrderCounts
    by_area: list[OrderCounts] = field(default_factory=list)
    by_kind: list[OrderCounts] = field(default_factory=list)


@dataclass(frozen=True)
class Offender:
    place: Place
    orders: int
    threshold: int


def links() -> dict[str, str]:
    """The list pages the oversight pages link into, with their filters in the query string
    (status, overdue, escalation, area, kind) read by each list's own filter."""
    return {name: reverse(f"inspections:{name}") for name in ("orders", "tasks", "places", "plans")}


# ---------------------------------------------------------------------------- coverage


def _plans(user: Any, period: Period) -> list[Plan]:
    return list(
        Plan.objects.restrict(user, Action.VIEW)
        .filter(active=True, starts_on__lte=period.end)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period.start))
        .select_related("area")
        .order_by("starts_on", "id")
    )


def coverage(user: Any, period: Period) -> CoverageReport:
    """Three queries: the plans active in the period, the places the reader sees in their
    streets, the inspections of the period. A place is due once however many plans cover it;
    a campaign counts the inspections inside its own dates."""
    plans = _plans(user, period)
    report = CoverageReport(total=Coverage(None, _("合计")))
    if not plans:
        return report
    places = (
        Place.objects.restrict(user, Action.VIEW)
        .active()
        .filter(street_id__in={p.street_id for p in plans})
        .values_list("pk", "street_id", "kind", "grid__path", "grid__parent_id", "grid__parent__name")
    )
    start, end = period.bounds()
    visits: dict[int, list[date]] = defaultdict(list)
    for place_id, at in (
        Inspection.objects.restrict(user, Action.VIEW)
        .filter(inspected_at__gte=start, inspected_at__lt=end)
        .values_list("place_id", "inspected_at")
    ):
        visits[place_id].append(_day(at))
    kinds = dict(PlaceKind.choices)
    areas: dict[Any, Coverage] = {}
    by_kind: dict[str, Coverage] = {}
    campaigns = {
        plan.pk: Coverage(plan.pk, plan.title, target=plan.coverage_target)
        for plan in plans
        if plan.kind == PlanKind.CAMPAIGN
    }
    for pk, street_id, kind, path, area_id, area_name in places:
        covering = [plan for plan in plans if covers(plan, street_id, kind, path or "")]
        if not covering:
            continue
        inspected = bool(visits.get(pk))
        key = area_id or NO_AREA
        area = areas.setdefault(key, Coverage(key, area_name or _("未划入居民区")))
        kind_row = by_kind.setdefault(kind, Coverage(kind, str(kinds.get(kind, kind))))
        for row in (report.total, area, kind_row):
            row.due += 1
            row.inspected += inspected
        for plan in covering:
            if plan.pk in campaigns:
                first = max(period.start, plan.starts_on)
                last = min(period.end, plan.ends_on or period.end)
                campaigns[plan.pk].due += 1
                campaigns[plan.pk].inspected += any(first <= day <= last for day in visits.get(pk, ()))
    report.by_area = sorted(areas.values(), key=lambda row: (row.key == NO_AREA, row.label))
    report.by_kind = [by_kind[k] for k in PlaceKind.values if k in by_kind]
    report.campaigns = list(campaigns.values())
    return report


def _day(at: datetime) -> date:
    return at.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


# ---------------------------------------------------------------------------- orders


def _order_counts(rows: Iterable[Any], key: str, label: Any) -> list[OrderCounts]:
    return [
        OrderCounts(row[key] or NO_AREA, label(row), **{name: row[name] for name in ORDER_AGGREGATES})
        for row in rows
    ]


ORDER_AGGREGATES = {
    "open": Count("pk"),
    "overdue": Count("pk", filter=Q(is_overdue=True)),
    "supervised": Count("pk", filter=Q(escalation=Escalation.SUPERVISED)),
    "escalated": Count("pk", filter=Q(escalation=Escalation.ESCALATED)),
}


def orders(user: Any) -> OrderReport:
    """The open orders (issued, awaiting re-check, reported up) the reader sees, with how many
    are overdue, supervised and escalated, in total, per residential area and per kind: three
    aggregate queries."""
    open_orders = Order.objects.restrict(user, Action.VIEW).filter(status__in=OPEN_ORDER_STATUSES)
    total = OrderCounts(None, _("合计"), **open_orders.aggregate(**ORDER_AGGREGATES))
    kinds = dict(PlaceKind.choices)
    by_area = _order_counts(
        open_orders.order_by()
        .values("place__grid__parent_id", "place__grid__parent__name")
        .annotate(**ORDER_AGGREGATES)
        .order_by("place__grid__parent__name"),
        "place__grid__parent_id",
        lambda row: row["place__grid__parent__name"] or _("未划入居民区"),
    )
    by_kind = _order_counts(
        open_orders.order_by().values("place__kind").annotate(**ORDER_AGGREGATES),
        "place__kind",
        lambda row: str(kinds.get(row["place__kind"], row["place__kind"])),
    )
    order = {k: i for i, k in enumerate(PlaceKind.values)}
    by_kind.sort(key=lambda row: order.get(row.key, len(order)))
    return OrderReport(total=total, by_area=by_area, by_kind=by_kind)


# ---------------------------------------------------------------------------- offenders


def repeat_offenders(user: Any, limit: int | None = None) -> list[Offender]:
    """Places with at least the street's `inspections.repeat_offender_orders` orders issued in
    the last 365 days, most first: one aggregate query (the thresholds come from the profile)."""
    places = Place.objects.restrict(user, Action.VIEW)
    streets = set(places.order_by().values_list("street_id", flat=True).distinct())
    if not streets:
        return []
    thresholds = {street: int(profile.value(REPEAT_SETTING, street)) for street in streets}
    since = clock.now() - REPEAT_WINDOW
    counted = (
        places.annotate(recent=Count("orders", filter=Q(orders__issued_at__gte=since)))
        .filter(recent__gte=min(thresholds.values()))
        .select_related("grid")
        .order_by("-recent", "name", "pk")
    )
    found = [
        Offender(place, place.recent, thresholds[place.street_id])
        for place in counted
        if place.recent >= thresholds[place.street_id]
    ]
    return found[:limit] if limit is not None else found


# ---------------------------------------------------------------------------- tasks


def tasks_due_this_week(user: Any) -> int:
    """Open tasks the reader sees, due by the end of this week (Sunday), overdue ones included:
    the task list's own filter (`?due=week`), so the count and the list agree."""
    return TaskFilterSet({"due": WEEK}, Task.objects.restrict(user, Action.VIEW), user=user).checked().count()
