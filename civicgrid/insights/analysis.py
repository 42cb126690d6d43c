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

from datetime import date, timedelta
from typing import Any

from django.db.models import Count

from civicgrid.core import clock, profile
from civicgrid.geo.models import Area, Building

from .choices import HotspotKind
from .hotspots import Hotspot, hotspot_cases

# At most this many hotspots of a kind are listed (the largest first).
LIMIT = 30


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
