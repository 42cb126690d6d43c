"""一件多单: on intake, suggest open cases that are probably the same matter.

Same category, received in the last N days, at the same building or address or within R metres, with
similar text (share of the shorter text's character bigrams found in the other ≥ a minimum:
a short "楼上噪声扰民" matches a longer account of the same noise). Cases closed at the same
place in the last M days are offered too, marked closed: the desk may reopen the old one
instead of opening a new one. N, M, R and the minimum come from the street's profile
(cases/profile_settings.py). The dispatcher decides and merges through actions.merge_case.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from civicgrid.core import clock, profile

from .choices import OPEN_STATUSES, CaseStatus
from .models import Case

EARTH_RADIUS_M = 6_371_000.0


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _bigrams(text: str) -> set[str]:
    cleaned = "".join(ch for ch in text if ch.isalnum())
    return {cleaned[i : i + 2] for i in range(len(cleaned) - 1)} or ({cleaned} if cleaned else set())


def similarity(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / min(len(x), len(y)) if x and y else 0.0


@dataclass(frozen=True)
class Candidate:
    case: Case
    distance_m: float | None
    same_building: bool
    similarity: float

    @property
    def closed(self) -> bool:
        return self.case.status == CaseStatus.CLOSED


def candidates(case: Case, *, closed: bool = True, until: datetime | None = None) -> list[Candidate]:
    """Open cases that are probably the same matter, then (`closed`) recently closed ones,
    received up to `until` (default: when this case was)."""
    conf = profile.for_area(case.street_id)
    radius = conf["cases.duplicate_radius_m"]
    since = case.received_at - timedelta(days=conf["cases.duplicate_days"])
    recent = Q(status__in=OPEN_STATUSES, received_at__gte=since)
    if closed:
        closed_since = case.received_at - timedelta(days=conf["cases.duplicate_closed_days"])
        recent |= Q(status=CaseStatus.CLOSED, closed_at__gte=closed_since)
    near = Q(pk__in=[])
    if case.building_id:
        near |= Q(building_id=case.building_id)
    if case.address:
        # The same words: all an order to be located (待定位) has, with no building or point.
        near |= Q(address=case.address)
    if case.lon is not None and case.lat is not None:
        # A bounding box narrows the rows in SQL; the exact distance is checked below.
        dlat = radius / 111_000
        dlon = radius / (111_000 * max(math.cos(math.radians(case.lat)), 0.01))
        near |= Q(
            lon__range=(case.lon - dlon, case.lon + dlon), lat__range=(case.lat - dlat, case.lat + dlat)
        )
    rows = (
        Case.objects.filter(
            near,
            recent,
            street_id=case.street_id,
            category_id=case.category_id,
            received_at__lte=until or case.received_at,
        )
        .exclude(pk=case.pk or 0)  # an unsaved case (create_case searches before INSERT)
        .select_related("category")[:50]
    )
    found: list[Candidate] = []
    minimum = conf["cases.duplicate_min_similarity"]
    for other in rows:
        same_building = bool(case.building_id and other.building_id == case.building_id)
        dist = None
        if None not in (case.lon, case.lat, other.lon, other.lat):
            dist = distance_m(case.lon, case.lat, other.lon, other.lat)  # type: ignore[arg-type]
        same_address = bool(case.address) and other.address == case.address
        if not (same_building or same_address) and (dist is None or dist > radius):
            continue
        score = similarity(case.description, other.description)
        if score >= minimum:
            found.append(Candidate(other, dist, same_building, score))
    found.sort(key=lambda c: (c.closed, -c.similarity, c.case.received_at))
    return found


def for_draft(
    *,
    street_id: int,
    category: Any,
    building: Any,
    lon: float | None,
    lat: float | None,
    description: str,
    received_at: datetime,
) -> list[Candidate]:
    """The candidates of a case not registered yet (the desk's form asks before registering),
    received until now: a backdated walk-in may repeat an order that came in since."""
    draft = Case(
        street_id=street_id,
        category=category,
        building=building,
        lon=lon,
        lat=lat,
        description=description,
        received_at=received_at,
    )
    return candidates(draft, until=clock.now())


def suggest_for_new(case: Case) -> list[Case]:
    """The open candidates a new case could be merged into (its CREATE event lists them)."""
    return [c.case for c in candidates(case, closed=False)]
