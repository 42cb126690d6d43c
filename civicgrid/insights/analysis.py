"""Root causes (源头分析): where cases keep coming from. Each finder returns Hotspots
(insights.hotspots) named by case-filter parameters, counted over the same filter, so every
count opens exactly its list. The thresholds are the street's (insights.profile_settings).

- repeated addresses: a building (or, for cases with no building, an address as recorded)
  with at least N cases in the last M days;
- recurrences: a category in a grid with cases in at least K of the last W weeks;
- rises: a category whose cases this week (the last 7 days) rose week-over-week by at least
  P % and to at least C cases;
- hot topics: see insights.topics (a background job; the latest run is read).
"""

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from civicgrid.cases.filters import start_of
from civicgrid.cases.models import Category
from civicgrid.core import clock, profile
from civicgrid.core.choices import Action
from civicgrid.geo.models import Area, Building

from .choices import HotspotKind, TopicRunStatus
from .hotspots import Hotspot, hotspot_cases
from .models import TopicRun

# At most this many hotspots of a kind are listed (the largest first).
LIMIT = 30
# A topic hotspot names its cases by number (the case filter's `ids`): the ones closest to the
# topic's centre, at most this many, so that its link stays a usable URL.
TOPIC_LINK_CASES = 200


def repeated_addresses(user: Any, street: Area, day: date | None = None) -> list[Hotspot]:
    """Buildings and addresses with at least `insights.repeat_address_cases` cases in the last
    `insights.repeat_address_days` days up to `day`, most cases first."""
    day = day or clock.today()
    least = profile.value("insights.repeat_address_cases", street.pk)
    start = day - timedelta(days=profile.value("insights.repeat_address_days", street.pk) - 1)
    cases = hotspot_cases(user, {"street": street.code}, start, day).order_by()
    by_building = list(
        cases.filter(building__isnull=False)
        .values("building")
        .annotate(n=Count("pk"))
        .filter(n__gte=least)
        .order_by("-n", "building")[:LIMIT]
    )
    names = {
        b.pk: b.name or b.address
        for b in Building.objects.filter(pk__in=[r["building"] for r in by_building]).only("name", "address")
    }
    found = [
        Hotspot(
            HotspotKind.BUILDING,
            names.get(row["building"], str(row["building"])),
            {"street": street.code, "building": str(row["building"])},
            row["n"],
            start,
            day,
        )
        for row in by_building
    ]
    by_address = (
        cases.filter(building__isnull=True)
        .exclude(address="")
        .values("address")
        .annotate(n=Count("pk"))
        .filter(n__gte=least)
        .order_by("-n", "address")[:LIMIT]
    )
    found += [
        Hotspot(
            HotspotKind.ADDRESS,
            row["address"],
            {"street": street.code, "address": row["address"]},
            row["n"],
            start,
            day,
        )
        for row in by_address
    ]
    found.sort(key=lambda h: (-h.count, h.label))
    return found[:LIMIT]


def _branches() -> dict[int, list[Category]]:
    """Each category's lineage (itself, then its ancestors): a case counts for every category
    whose branch holds its own, as the case filter's `category` does. One query."""
    return {c.pk: c.lineage() for c in Category.objects.order_by("code").linked()}


def recurrences(user: Any, street: Area, day: date | None = None) -> list[Hotspot]:
    """A category in a grid with cases in at least `insights.recurrence_min_weeks` of the last
    `insights.recurrence_weeks` weeks (weeks of 7 days ending on `day`). The categories are
    those the cases were filed under; each counts its whole branch, like the filter it links
    to. Most weeks first, then most cases."""
    day = day or clock.today()
    weeks = profile.value("insights.recurrence_weeks", street.pk)
    least = profile.value("insights.recurrence_min_weeks", street.pk)
    start = day - timedelta(days=7 * weeks - 1)
    rows = (
        hotspot_cases(user, {"street": street.code}, start, day)
        .filter(grid__isnull=False)
        .order_by()
        .annotate(day=TruncDate("received_at"))
        .values_list("grid", "category", "day")
        .annotate(n=Count("pk"))
    )
    lineages = _branches()
    filed: set[tuple[int, int]] = set()  # (grid, category) the cases were filed under
    seen: dict[tuple[int, int], set[int]] = defaultdict(set)  # (grid, category) -> weeks
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for grid, category, when, n in rows:
        filed.add((grid, category))
        week = (day - when).days // 7
        for node in lineages.get(category, []):
            seen[grid, node.pk].add(week)
            counts[grid, node.pk] += n
    found = [key for key in filed if len(seen[key]) >= least]
    found.sort(key=lambda key: (-len(seen[key]), -counts[key], key))
    found = found[:LIMIT]
    grids = {a.pk: a for a in Area.objects.filter(pk__in={grid for grid, _c in found}).only("code", "name")}
    return [
        Hotspot(
            HotspotKind.RECURRENCE,
            f"{lineages[category][0].label} · {grids[grid].name}",
            {"street": street.code, "category": lineages[category][0].code, "grid": grids[grid].code},
            counts[grid, category],
            start,
            day,
            detail=_("%(weeks)s 周中 %(seen)s 周出现") % {"weeks": weeks, "seen": len(seen[grid, category])},
        )
        for grid, category in found
    ]


def rises(user: Any, street: Area, day: date | None = None) -> list[Hotspot]:
    """Categories whose cases in the 7 days up to `day` reached `insights.rise_min_cases` and
    rose by at least `insights.rise_percent` % over the 7 days before (from none counts as a
    rise). `count` is this week's, `previous` last week's, each its link's list. The categories
    are those this week's cases were filed under, each counting its branch. Steepest first."""
    day = day or clock.today()
    least = profile.value("insights.rise_min_cases", street.pk)
    percent = profile.value("insights.rise_percent", street.pk)
    this_week, last_week = day - timedelta(days=6), day - timedelta(days=13)
    split = Q(received_at__gte=start_of(this_week))
    rows = (
        hotspot_cases(user, {"street": street.code}, last_week, day)
        .order_by()
        .values_list("category")
        .annotate(now=Count("pk", filter=split), before=Count("pk", filter=~split))
    )
    lineages = _branches()
    filed: set[int] = set()
    now: dict[int, int] = defaultdict(int)
    before: dict[int, int] = defaultdict(int)
    for category, n_now, n_before in rows:
        if n_now:
            filed.add(category)
        for node in lineages.get(category, []):
            now[node.pk] += n_now
            before[node.pk] += n_before
    found = [
        pk
        for pk in filed
        if now[pk] >= least and (before[pk] == 0 or (now[pk] - before[pk]) * 100 >= percent * before[pk])
    ]

    def steepness(pk: int) -> tuple[float, int, int]:
        return (-(now[pk] / before[pk]) if before[pk] else float("-inf"), -now[pk], pk)

    found.sort(key=steepness)
    hotspots = []
    for pk in found[:LIMIT]:
        category = lineages[pk][0]
        if before[pk]:
            detail = _("上周 %(before)s 件，本周 %(now)s 件，上升 %(rise)s%%") % {
                "before": before[pk],
                "now": now[pk],
                "rise": round((now[pk] - before[pk]) * 100 / before[pk]),
            }
        else:
            detail = _("上周 0 件，本周 %(now)s 件") % {"now": now[pk]}
        hotspots.append(
            Hotspot(
                HotspotKind.RISE,
                category.label,
                {"street": street.code, "category": category.code},
                now[pk],
                this_week,
                day,
                previous=before[pk],
                detail=detail,
            )
        )
    return hotspots


def latest_topics(user: Any, street: Area) -> TopicRun | None:
    """The street's latest finished hot-topic run the reader may see."""
    return (
        TopicRun.objects.restrict(user, Action.VIEW)
        .filter(street=street, status=TopicRunStatus.DONE)
        .select_related("street")
        .order_by("-created_at", "-id")
        .first()
    )


def topics_of(user: Any, run: TopicRun | None) -> list[tuple[Hotspot, dict[str, Any]]]:
    """A run's clusters as hotspots, each with its cluster (its examples kept to the cases the
    reader sees). A hotspot names (by number) the cluster's cases the reader sees, closest to the
    topic's centre first, at most TOPIC_LINK_CASES; a cluster with none is left out. One query."""
    if run is None:
        return []
    wanted = {pk for cluster in run.clusters for pk in cluster["case_ids"][:TOPIC_LINK_CASES]}
    numbers = dict(
        hotspot_cases(user, {"street": run.street.code}, run.date_from, run.date_to)
        .filter(pk__in=wanted)
        .values_list("pk", "number")
    )
    found = []
    for cluster in run.clusters:
        shown = [numbers[pk] for pk in cluster["case_ids"][:TOPIC_LINK_CASES] if pk in numbers]
        if not shown:
            continue
        detail = _("话题共 %(size)s 件") % {"size": cluster["size"]}
        if cluster["size"] > len(shown):
            detail += _("，列出最贴近话题的 %(n)s 件") % {"n": len(shown)}
        hotspot = Hotspot(
            HotspotKind.TOPIC,
            "、".join(cluster["terms"][:3]),
            {"street": run.street.code, "ids": ",".join(shown)},
            len(shown),
            run.date_from,
            run.date_to,
            detail=detail,
        )
        examples = [e for e in cluster["examples"] if e["id"] in numbers]
        found.append((hotspot, {**cluster, "examples": examples}))
    return found


def topic_hotspots(user: Any, run: TopicRun | None) -> list[Hotspot]:
    return [hotspot for hotspot, _cluster in topics_of(user, run)]


def hotspots(user: Any, street: Area, day: date | None = None) -> list[Hotspot]:
    """Everything the root-cause analysis finds in the street: repeated addresses, recurrences,
    rises and the latest hot-topic run's topics."""
    return [
        *repeated_addresses(user, street, day),
        *recurrences(user, street, day),
        *rises(user, street, day),
        *topic_hotspots(user, latest_topics(user, street)),
    ]
