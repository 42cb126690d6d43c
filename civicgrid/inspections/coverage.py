"""Coverage of the door-to-door sweep (逐楼、逐层、逐户) over a period: per building the flats
checked of its flats and the floors checked of its floors, floor by floor with each flat's
latest finding; per residential area the sums. Three queries whatever the size: the buildings,
their flats, the period's checks (the latest per flat kept in Python)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from civicgrid.core.choices import Action
from civicgrid.geo.models import Building

from .actions.renting import visible_flats
from .models import FlatCheck


@dataclass
class FlatCell:
    pk: int
    room: str
    finding: str = ""  # the latest in the period; blank: not checked
    checked_on: date | None = None


@dataclass
class FloorRow:
    floor: int | None
    flats: list[FlatCell] = field(default_factory=list)

    @property
    def checked(self) -> bool:
        return any(f.finding for f in self.flats)


@dataclass
class BuildingCoverage:
    building: Building
    floors: list[FloorRow] = field(default_factory=list)

    @property
    def flats(self) -> int:
        return sum(len(row.flats) for row in self.floors)

    @property
    def flats_checked(self) -> int:
        return sum(1 for row in self.floors for f in row.flats if f.finding)

    @property
    def floor_count(self) -> int:
        return len(self.floors)

    @property
    def floors_checked(self) -> int:
        return sum(1 for row in self.floors if row.checked)


@dataclass
class AreaCoverage:
    area: Any  # the residential area (geo.Area) or None for buildings outside one
    buildings: list[BuildingCoverage] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(b, name) for b in self.buildings)

    @property
    def flats(self) -> int:
        return self._sum("flats")

    @property
    def flats_checked(self) -> int:
        return self._sum("flats_checked")

    @property
    def floor_count(self) -> int:
        return self._sum("floor_count")

    @property
    def floors_checked(self) -> int:
        return self._sum("floors_checked")


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def coverage(
    user: Any, *, since: date, until: date, area: Any = None, building: Any = None
) -> list[AreaCoverage]:
    """The coverage of the buildings the user may see (of one residential area, or one building)
    by the checks dated `since`..`until`, by residential area."""
    buildings = Building.objects.restrict(user, Action.VIEW).select_related("residential_area")
    if area is not None:
        buildings = buildings.filter(residential_area_id=getattr(area, "pk", area))
    if building is not None:
        buildings = buildings.filter(pk=getattr(building, "pk", building))
    by_building = {
        b.pk: BuildingCoverage(b) for b in buildings.order_by("residential_area_id", "address", "pk")
    }
    flats = (
        visible_flats(user)
        .filter(building_id__in=list(by_building))
        .order_by("building_id", "floor", "room", "pk")
        .values_list("pk", "building_id", "floor", "room")
    )
    latest: dict[int, tuple[str, date]] = {}
    checks = (
        FlatCheck.objects.restrict(user, Action.VIEW)
        .filter(flat__building_id__in=list(by_building), checked_on__gte=since, checked_on__lte=until)
        .order_by("checked_on", "id")
        .values_list("flat_id", "finding", "checked_on")
    )
    for flat_id, finding, checked_on in checks:
        latest[flat_id] = (finding, checked_on)  # ordered: the last one wins
    rows: dict[tuple[int, int | None], FloorRow] = {}
    for pk, building_id, floor, room in flats:
        row = rows.get((building_id, floor))
        if row is None:
            row = rows[building_id, floor] = FloorRow(floor)
            by_building[building_id].floors.append(row)
        seen = latest.get(pk)
        row.flats.append(FlatCell(pk, room, *seen) if seen else FlatCell(pk, room))
    areas: dict[Any, AreaCoverage] = defaultdict(lambda: AreaCoverage(None))
    for item in by_building.values():
        key = item.building.residential_area_id
        if key not in areas:
            areas[key] = AreaCoverage(item.building.residential_area)
        # Floors top down, as the building is walked and drawn.
        item.floors.sort(key=lambda r: (r.floor is None, -(r.floor or 0)))
        areas[key].buildings.append(item)
    return list(areas.values())
