"""Turns the description in data.py into a plan (pure, deterministic) and the plan into
database rows (idempotent: a second load changes nothing and writes no audit rows).

Polygons come from subdividing rectangles: a street's rectangle is cut into rows and
columns of residential areas, each of those into its grids, so grids tile their
residential area and residential areas tile the street, sharing edges exactly (the cut
positions are computed once and reused). Randomness only varies cut widths and building
positions, from `random.Random` seeded with fixed strings.
"""

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from shapely import STRtree
from shapely.geometry import Point, box

from civicgrid.accounts.models import Membership, User
from civicgrid.core import personal
from civicgrid.core.address import normalize_address
from civicgrid.core.audit import acting_as
from civicgrid.core.capabilities import roles
from civicgrid.core.choices import Role
from civicgrid.geo import index, layers
from civicgrid.geo.choices import AreaKind, GridLayerKind
from civicgrid.geo.geometry import parse_polygon
from civicgrid.geo.models import Area, Building, GridLayer
from civicgrid.orgs.choices import UnitKind
from civicgrid.orgs.models import Unit

from . import data
from .cases import load_duty_rules
from .data import DEMO_PASSWORD, DistrictSpec, StreetSpec

Rect = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
DIGITS = 6  # ~0.1 m; rounding once keeps shared edges bit-identical
ROLE_ORDER: tuple[str, ...] = (
    Role.ADMIN,
    Role.DISPATCHER,
    Role.GRID_WORKER,
    Role.CADRE,
    Role.HANDLER,
    Role.LEADER,
    Role.RESIDENT,
)
CHINESE_NUMERALS = "一二三四五六七八九十"


class DemoError(Exception):
    """The plan contradicts itself or the database (a bug in data.py, or foreign grids in the way)."""


# --- the plan -------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaPlan:
    kind: str
    code: str
    name: str
    parent_code: str | None
    geometry: dict[str, Any] | None
    description: str = ""


@dataclass(frozen=True)
class BuildingPlan:
    address: str
    name: str
    lon: float
    lat: float
    floors: int
    households: int
    built_year: int | None
    grid_code: str
    street_code: str

    @property
    def normalized(self) -> str:
        return normalize_address(self.address)


@dataclass(frozen=True)
class LayerPlan:
    layer: str
    code: str
    name: str
    street_code: str
    geometry: dict[str, Any]


@dataclass(frozen=True)
class UnitPlan:
    code: str
    kind: str
    name: str
    district_code: str
    street_code: str | None
    contact_person: str
    phone: str
    address: str
    jurisdiction: tuple[str, ...]  # area codes


@dataclass(frozen=True)
class MembershipPlan:
    area_code: str | None
    unit_code: str | None
    title: str


@dataclass(frozen=True)
class UserPlan:
    username: str
    role: str
    full_name: str
    phone: str
    street_code: str
    memberships: tuple[MembershipPlan, ...]

    @property
    def is_staff(self) -> bool:
        # The admin switch for the roles that have work there (core.admin_site).
        return self.role in roles("core.admin_site")


@dataclass(frozen=True)
class DemoPlan:
    areas: tuple[AreaPlan, ...]
    buildings: tuple[BuildingPlan, ...]
    layers: tuple[LayerPlan, ...]
    units: tuple[UnitPlan, ...]
    users: tuple[UserPlan, ...]
    street_names: dict[str, str] = field(default_factory=dict)  # code → name

    def area_codes(self, kind: str) -> list[str]:
        return [a.code for a in self.areas if a.kind == kind]


# --- geometry helpers -----------------------------------------------------------------


def _rng(*parts: object) -> random.Random:
    # A str seed is hashed with SHA-512 by random, so PYTHONHASHSEED does not matter.
    return random.Random("civicgrid-demo:" + ":".join(str(p) for p in parts))


def _r(value: float) -> float:
    return round(value, DIGITS)


def _cuts(lo: float, hi: float, weights: Sequence[float]) -> list[float]:
    total = sum(weights)
    cuts = [lo]
    acc = 0.0
    for w in weights[:-1]:
        acc += w
        cuts.append(_r(lo + (hi - lo) * acc / total))
    cuts.append(hi)
    return cuts


def _row_counts(n: int, rows: int) -> list[int]:
    base, extra = divmod(n, rows)
    # The later rows take the remainder, so the northern row is never the widest split.
    return [base + (1 if i >= rows - extra else 0) for i in range(rows)]


def subdivide(rect: Rect, counts: Sequence[int], rng: random.Random, vertical: bool = False) -> list[Rect]:
    """Cut `rect` into len(counts) bands (north to south, or west to east if `vertical`) and
    band i into counts[i] cells. Cells are returned band by band, west→east / north→south."""
    x0, y0, x1, y1 = rect
    band_weights = [rng.uniform(0.8, 1.25) for _ in counts]
    cells: list[Rect] = []
    if not vertical:
        ys = _cuts(y0, y1, band_weights)[::-1]  # north first
        for i, n in enumerate(counts):
            top, bottom = ys[i], ys[i + 1]
            xs = _cuts(x0, x1, [rng.uniform(0.75, 1.3) for _ in range(n)])
            cells.extend((xs[j], bottom, xs[j + 1], top) for j in range(n))
    else:
        xs = _cuts(x0, x1, band_weights)
        for i, n in enumerate(counts):
            left, right = xs[i], xs[i + 1]
            ys = _cuts(y0, y1, [rng.uniform(0.75, 1.3) for _ in range(n)])[::-1]
            cells.extend((left, ys[j + 1], right, ys[j]) for j in range(n))
    return cells


def polygon(rect: Rect) -> dict[str, Any]:
    x0, y0, x1, y1 = rect
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _street_rect(spec: StreetSpec) -> Rect:
    (lon, lat), (w, h) = spec.center, spec.size
    return (_r(lon - w / 2), _r(lat - h / 2), _r(lon + w / 2), _r(lat + h / 2))


def _grid_layout(rect: Rect, n: int) -> tuple[list[int], bool]:
    """Bands for n grids: up to 3 side by side along the longer side, else two bands."""
    x0, y0, x1, y1 = rect
    # Degrees of longitude are shorter than of latitude at 31°N.
    wide = (x1 - x0) * math.cos(math.radians(31.2)) >= (y1 - y0)
    if n <= 3:
        return ([n], False) if wide else ([1] * n, False)
    return _row_counts(n, 2), not wide


def _points_in(rect: Rect, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """n points on a jittered lattice well inside rect (15 %–85 %), never on its border."""
    x0, y0, x1, y1 = rect
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    points = []
    for i in range(n):
        row, col = divmod(i, cols)
        fx = (col + 0.5 + rng.uniform(-0.2, 0.2)) / cols
        fy = (row + 0.5 + rng.uniform(-0.2, 0.2)) / rows
        points.append((_r(x0 + (x1 - x0) * (0.15 + 0.7 * fx)), _r(y1 - (y1 - y0) * (0.15 + 0.7 * fy))))
    return points


def _fake_phone(rng: random.Random) -> str:
    return f"021-5{rng.randrange(100, 1000)} {rng.randrange(0, 10000):04d}"


def _fake_person(rng: random.Random) -> str:
    return rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES)


# --- building the plan ----------------------------------------------------------------


def _district(spec: DistrictSpec) -> AreaPlan:
    # District boundaries are not drawn in the demo: only the four streets are modelled.
    return AreaPlan(AreaKind.DISTRICT, spec.code, spec.name, None, None)


def _expand(group: data.BuildingGroup) -> list[tuple[str, str, int | None]]:
    """(address, name, number) for each building of a group, in order."""
    names = dict(group.names)
    out: list[tuple[str, str, int | None]] = []
    if group.entry:
        out.append((group.prefix, group.entry_name, None))
    out.extend((f"{group.prefix}{n}号", names.get(n, ""), n) for n in group.numbers)
    return out


def _street_plan(
    spec: StreetSpec,
) -> tuple[list[AreaPlan], list[BuildingPlan], list[LayerPlan], dict[str, str], dict[str, list[str]]]:
    street_rect = _street_rect(spec)
    areas = [
        AreaPlan(
            AreaKind.STREET,
            spec.code,
            spec.name,
            spec.district,
            polygon(street_rect),
            f"演示数据：{spec.name}（边界为示意，非实际行政边界）",
        )
    ]
    buildings: list[BuildingPlan] = []
    n = len(spec.residential)
    rows = 2 if n <= 8 else 3
    ra_rects = subdivide(street_rect, _row_counts(n, rows), _rng(spec.key, "residential"))
    ra_codes: dict[str, str] = {}
    grid_codes: dict[str, list[str]] = {}
    for i, (ra, ra_rect) in enumerate(zip(spec.residential, ra_rects, strict=True)):
        ra_code = f"{spec.code}{i + 1:03d}"
        ra_name = f"{ra.name}居民区"
        ra_codes[ra.name] = ra_code
        areas.append(AreaPlan(AreaKind.RESIDENTIAL, ra_code, ra_name, spec.code, polygon(ra_rect)))
        counts, vertical = _grid_layout(ra_rect, ra.grids)
        grid_rects = subdivide(ra_rect, counts, _rng(spec.key, ra.name, "grids"), vertical)
        codes = []
        for g, grid_rect in enumerate(grid_rects):
            code = f"{ra_code}{g + 1:02d}"
            codes.append(code)
            areas.append(
                AreaPlan(AreaKind.GRID, code, f"{ra_name}{g + 1}号网格", ra_code, polygon(grid_rect))
            )
        grid_codes[ra.name] = codes
        # Buildings in listed order, split into contiguous runs, one run per grid.
        listed = [item + (group,) for group in ra.buildings for item in _expand(group)]
        per_grid = _row_counts(len(listed), len(grid_rects))
        start = 0
        rng = _rng(spec.key, ra.name, "buildings")
        for g, (grid_rect, count) in enumerate(zip(grid_rects, per_grid, strict=True)):
            chunk = listed[start : start + count]
            start += count
            for (address, name, _number, group), (lon, lat) in zip(
                chunk, _points_in(grid_rect, count, rng), strict=True
            ):
                floors = group.floors
                buildings.append(
                    BuildingPlan(
                        address=address,
                        name=name,
                        lon=lon,
                        lat=lat,
                        floors=floors,
                        households=floors * group.households_per_floor,
                        built_year=group.built_year,
                        grid_code=codes[g],
                        street_code=spec.code,
                    )
                )
    layers = _layer_plan(spec, street_rect)
    return areas, buildings, layers, ra_codes, grid_codes


def _layer_plan(spec: StreetSpec, rect: Rect) -> list[LayerPlan]:
    """Grids of the other systems, deliberately cut along other lines than the residential areas."""
    x0, y0, x1, y1 = rect
    w, h = x1 - x0, y1 - y0
    xs = [x0, _r(x0 + w * 0.37), _r(x0 + w * 0.71), x1]
    police = [(xs[i], y0, xs[i + 1], y1) for i in range(3)]
    mx, my = _r(x0 + w * 0.55), _r(y0 + h * 0.45)
    urban = [(x0, my, mx, y1), (mx, my, x1, y1), (x0, y0, mx, my), (mx, y0, x1, my)]
    py = _r(y0 + h * 0.6)
    party = [(x0, py, x1, y1), (x0, y0, x1, py)]
    out: list[LayerPlan] = []
    for i, r in enumerate(police):
        out.append(
            LayerPlan(
                GridLayerKind.POLICE,
                f"{spec.code}JW{i + 1:02d}",
                f"{spec.police}第{CHINESE_NUMERALS[i]}警务区",
                spec.code,
                polygon(r),
            )
        )
    for i, r in enumerate(urban):
        out.append(
            LayerPlan(
                GridLayerKind.URBAN,
                f"{spec.code}CG{i + 1:02d}",
                f"{spec.urban_management}{i + 1}号责任网格",
                spec.code,
                polygon(r),
            )
        )
    for i, r in enumerate(party):
        out.append(
            LayerPlan(
                GridLayerKind.PARTY,
                f"{spec.code}DJ{i + 1:02d}",
                f"{spec.short}第{CHINESE_NUMERALS[i]}党建片区",
                spec.code,
                polygon(r),
            )
        )
    return out


def _unit(
    code: str,
    kind: str,
    name: str,
    district: str,
    street: str | None,
    jurisdiction: Sequence[str],
    address: str = "",
) -> UnitPlan:
    rng = _rng("unit", code)
    return UnitPlan(
        code=code,
        kind=kind,
        name=name,
        district_code=district,
        street_code=street,
        contact_person=_fake_person(rng),
        phone=_fake_phone(rng),
        address=address,
        jurisdiction=tuple(jurisdiction),
    )


def _street_units(
    spec: StreetSpec, ra_codes: dict[str, str], first_address: dict[str, str]
) -> list[UnitPlan]:
    c, d, s = spec.code, spec.district, spec.code
    units = [
        _unit(f"{c}-SGB", UnitKind.STREET_OFFICE, f"{spec.name}社区管理办", d, s, [s], spec.office_address),
        _unit(f"{c}-CG", UnitKind.URBAN_MANAGEMENT, spec.urban_management, d, s, [s]),
        _unit(f"{c}-PCS", UnitKind.POLICE, spec.police, d, s, [s]),
        _unit(f"{c}-FGB", UnitKind.HOUSING, spec.housing, d, s, [s], spec.office_address),
        _unit(f"{c}-SJS", UnitKind.MARKET, spec.market, d, s, [s]),
        _unit(f"{c}-LH", UnitKind.GREENING, f"{spec.short}绿化市容所", d, s, [s]),
        _unit(f"{c}-WS", UnitKind.HEALTH, spec.health, d, s, [s]),
    ]
    for i, company in enumerate(spec.properties):
        areas = [ra_codes[name] for name in company.areas]
        units.append(_unit(f"{c}-WY{i + 1:02d}", UnitKind.PROPERTY, company.name, d, s, areas))
    for i, committee in enumerate(spec.owners_committees):
        units.append(
            _unit(
                f"{c}-YW{i + 1:02d}",
                UnitKind.OWNERS_COMMITTEE,
                committee.name,
                d,
                s,
                [ra_codes[committee.area]],
            )
        )
    for ra in spec.residential:
        code = ra_codes[ra.name]
        units.append(
            _unit(
                f"{code}-JWH",
                UnitKind.RESIDENTS_COMMITTEE,
                f"{ra.name}居委会",
                d,
                s,
                [code],
                first_address[ra.name],
            )
        )
    return units


STREET_KEYS: tuple[str, ...] = tuple(s.key for s in data.STREETS)


def _users(spec: StreetSpec, ra_codes: dict[str, str], grid_codes: dict[str, list[str]]) -> list[UserPlan]:
    def area(code: str) -> tuple[MembershipPlan, ...]:
        return (MembershipPlan(code, None, title),)

    users = []
    for i, role in enumerate(ROLE_ORDER):
        title = data.ROLE_TITLES[role]
        match role:
            case Role.ADMIN | Role.DISPATCHER | Role.LEADER:
                memberships = area(spec.code)
            case Role.CADRE:
                memberships = area(ra_codes[spec.cadre_area])
            case Role.RESIDENT:
                memberships = area(ra_codes[spec.resident_area])
            case Role.GRID_WORKER:
                grids = grid_codes[spec.gridworker_area]
                memberships = tuple(MembershipPlan(grids[g - 1], None, title) for g in spec.gridworker_grids)
            case Role.HANDLER:
                memberships = (MembershipPlan(None, f"{spec.code}-CG", title),)
            case _:  # pragma: no cover - ROLE_ORDER lists every role
                raise DemoError(role)
        users.append(
            UserPlan(
                username=f"{spec.key}-{role}",
                role=role,
                full_name=spec.people[role],
                phone=f"1380000{STREET_KEYS.index(spec.key) + 1:02d}{i + 1:02d}",
                street_code=spec.code,
                memberships=memberships,
            )
        )
    return users


def build_plan() -> DemoPlan:
    """The whole demo data set, computed from data.py; the same on every run and machine."""
    areas = [_district(d) for d in data.DISTRICTS]
    buildings: list[BuildingPlan] = []
    layers: list[LayerPlan] = []
    units: list[UnitPlan] = []
    users: list[UserPlan] = []
    for spec in data.STREETS:
        s_areas, s_buildings, s_layers, ra_codes, grid_codes = _street_plan(spec)
        areas += s_areas
        buildings += s_buildings
        layers += s_layers
        first_address = {ra.name: _expand(ra.buildings[0])[0][0] for ra in spec.residential}
        units += _street_units(spec, ra_codes, first_address)
        users += _users(spec, ra_codes, grid_codes)
    for district in data.DISTRICTS:
        streets = [s.code for s in data.STREETS if s.district == district.code]
        for suffix, kind, name in (
            ("WATER", UnitKind.WATER, district.water),
            ("GAS", UnitKind.GAS, district.gas),
            ("POWER", UnitKind.POWER, district.power),
        ):
            units.append(_unit(f"{district.code}-{suffix}", kind, name, district.code, None, streets))
    # Children after parents: districts, streets, residential areas, grids.
    kind_order = [AreaKind.DISTRICT, AreaKind.STREET, AreaKind.RESIDENTIAL, AreaKind.GRID]
    areas.sort(key=lambda a: (kind_order.index(AreaKind(a.kind)), a.code))
    plan = DemoPlan(
        areas=tuple(areas),
        buildings=tuple(buildings),
        layers=tuple(layers),
        units=tuple(units),
        users=tuple(users),
        street_names={s.code: s.name for s in data.STREETS},
    )
    validate_plan(plan)
    return plan


def validate_plan(plan: DemoPlan) -> None:
    """Check the invariants the demo promises; raise DemoError naming what is wrong."""
    problems: list[str] = []
    for kind, label in ((AreaPlan, "area"), (UnitPlan, "unit")):
        items = plan.areas if kind is AreaPlan else plan.units
        dup = [code for code, n in Counter(i.code for i in items).items() if n > 1]
        if dup:
            problems.append(f"duplicate {label} codes: {dup}")
    dup_addr = [k for k, n in Counter((b.street_code, b.normalized) for b in plan.buildings).items() if n > 1]
    if dup_addr:
        problems.append(f"duplicate addresses: {dup_addr}")
    shapes = {a.code: box(*_bounds(a.geometry)) for a in plan.areas if a.geometry}
    children: dict[str, list[str]] = {}
    for a in plan.areas:
        if a.parent_code and a.geometry:
            children.setdefault(a.parent_code, []).append(a.code)
    for parent, kids in children.items():
        if parent not in shapes:
            continue
        covered = sum(shapes[k].area for k in kids)
        if not math.isclose(covered, shapes[parent].area, rel_tol=1e-9):
            problems.append(f"children of {parent} do not tile it")
        if any(not shapes[parent].buffer(1e-12).contains(shapes[k]) for k in kids):
            problems.append(f"a child of {parent} sticks out")
    grid_codes = plan.area_codes(AreaKind.GRID)
    grid_shapes = [shapes[c] for c in grid_codes]
    tree = STRtree(grid_shapes)
    left, right = tree.query(grid_shapes, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j and grid_shapes[i].intersection(grid_shapes[j]).area > 0:
            problems.append(f"grids {grid_codes[i]} and {grid_codes[j]} overlap")
    for b in plan.buildings:
        if not shapes[b.grid_code].contains(Point(b.lon, b.lat)):
            problems.append(f"{b.address} is not strictly inside {b.grid_code}")
    if problems:
        raise DemoError("; ".join(problems[:10]))


def _bounds(geometry: dict[str, Any] | None) -> Rect:
    ring = (geometry or {})["coordinates"][0]
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    return (min(xs), min(ys), max(xs), max(ys))


# --- loading the plan -----------------------------------------------------------------


@dataclass
class LoadReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(+self.created or +self.updated)


def _sync(obj: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; True if any did (so unchanged rows are never saved)."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _save(obj: Any, values: dict[str, Any], label: str, report: LoadReport) -> None:
    if obj.pk is None:
        _sync(obj, values)
        obj.save()
        report.created[label] += 1
    elif _sync(obj, values):
        obj.save()
        report.updated[label] += 1


def _set_m2m(manager: Any, wanted: list[int]) -> bool:
    if set(manager.values_list("pk", flat=True)) == set(wanted):
        return False
    manager.set(wanted)
    return True


def load_plan(plan: DemoPlan) -> LoadReport:
    """Create or update every row of the plan; rows already as planned are not touched.
    Writes are attributed to the command in the audit log."""
    report = LoadReport()
    with acting_as(None, "command"), transaction.atomic():
        _check_foreign_grids(plan)
        areas = _load_areas(plan, report)
        _load_buildings(plan, areas, report)
        _load_layers(plan, areas, report)
        units = _load_units(plan, areas, report)
        _load_users(plan, areas, units, report)
        # The duty table routes the demo cases (and new ones) to the streets' units.
        load_duty_rules(plan, areas, units, report)
    return report


def _check_foreign_grids(plan: DemoPlan) -> None:
    ours = set(plan.area_codes(AreaKind.GRID))
    for a in plan.areas:
        if a.kind != AreaKind.GRID:
            continue
        clash = [g.code for g in index.overlapping_grids(parse_polygon(a.geometry)) if g.code not in ours]
        if clash:
            raise DemoError(f"演示网格 {a.code} 与已有网格 {', '.join(clash[:5])} 重叠")


def _load_areas(plan: DemoPlan, report: LoadReport) -> dict[str, Area]:
    existing = {a.code: a for a in Area.objects.filter(code__in=[p.code for p in plan.areas])}
    areas: dict[str, Area] = {}
    for p in plan.areas:
        parent = areas[p.parent_code] if p.parent_code else None
        # A new area gets its parent object, so saving it needs no query to derive its path.
        area = existing.get(p.code) or Area(code=p.code, parent=parent)
        values = {
            "kind": p.kind,
            "name": p.name,
            "parent_id": parent.pk if parent else None,
            "geometry": p.geometry,
            "description": p.description,
        }
        _save(area, values, "area", report)
        areas[p.code] = area
    return areas


def _load_buildings(plan: DemoPlan, areas: dict[str, Area], report: LoadReport) -> None:
    street_ids = [areas[code].pk for code in plan.street_names]
    existing = {
        (b.street_id, b.normalized_address): b
        for b in Building.objects.filter(
            street_id__in=street_ids, normalized_address__in=[p.normalized for p in plan.buildings]
        )
    }
    for p in plan.buildings:
        street = areas[p.street_code]
        building = existing.get((street.pk, p.normalized)) or Building()
        values = {
            "address": p.address,
            "name": p.name,
            "lon": p.lon,
            "lat": p.lat,
            "floors": p.floors,
            "households": p.households,
            "built_year": p.built_year,
        }
        _save(building, values, "building", report)
        if building.grid_id != areas[p.grid_code].pk:
            # Unchanged point but the grids moved under it: saving derives the grid again.
            building.save()
            report.updated["building"] += 1
        if building.grid_id != areas[p.grid_code].pk:
            raise DemoError(f"{p.address} 未落在网格 {p.grid_code} 内")


def _load_layers(plan: DemoPlan, areas: dict[str, Area], report: LoadReport) -> None:
    existing = {
        (g.layer, g.code): g for g in GridLayer.objects.filter(code__in=[p.code for p in plan.layers])
    }
    for p in plan.layers:
        layer_grid = existing.get((p.layer, p.code)) or GridLayer(layer=p.layer, code=p.code)
        values = {"name": p.name, "street_id": areas[p.street_code].pk, "geometry": p.geometry}
        is_new = layer_grid.pk is None
        _save(layer_grid, values, "layer", report)
        # 多格合一: the geo app decides which comprehensive grids a layer grid maps to.
        if layers.map_layer_grids(layer_grid) and not is_new:
            report.updated["layer_mapping"] += 1


def _load_units(plan: DemoPlan, areas: dict[str, Area], report: LoadReport) -> dict[str, Unit]:
    existing = {u.code: u for u in Unit.objects.filter(code__in=[p.code for p in plan.units])}
    units: dict[str, Unit] = {}
    for p in plan.units:
        unit = existing.get(p.code) or Unit(code=p.code)
        is_new = unit.pk is None
        values = {
            "kind": p.kind,
            "name": p.name,
            "district_id": areas[p.district_code].pk,
            "street_id": areas[p.street_code].pk if p.street_code else None,
            "contact_person": p.contact_person,
            "phone": p.phone,
            "address": p.address,
            "is_active": True,
        }
        _save(unit, values, "unit", report)
        if _set_m2m(unit.jurisdiction, [areas[code].pk for code in p.jurisdiction]) and not is_new:
            report.updated["jurisdiction"] += 1
        units[p.code] = unit
    return units


def _load_users(plan: DemoPlan, areas: dict[str, Area], units: dict[str, Unit], report: LoadReport) -> None:
    existing = {u.username: u for u in User.objects.filter(username__in=[p.username for p in plan.users])}
    for p in plan.users:
        user = existing.get(p.username) or User(username=p.username)
        values = {
            "role": p.role,
            "full_name": p.full_name,
            "phone": p.phone,
            "is_staff": p.is_staff,
            "is_active": True,
            "is_superuser": False,
        }
        if user.pk is None:
            # Argon2 is deliberately slow: hash on creation, later only if the password was changed.
            user.set_password(DEMO_PASSWORD)
            _save(user, values, "user", report)
        else:
            changed = _sync(user, values)
            if not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                changed = True
            if changed:
                user.save()
                report.updated["user"] += 1
        _load_memberships(user, p, areas, units, report)


def _load_memberships(
    user: User, p: UserPlan, areas: dict[str, Area], units: dict[str, Unit], report: LoadReport
) -> None:
    wanted = {
        (
            areas[m.area_code].pk if m.area_code else None,
            units[m.unit_code].pk if m.unit_code else None,
        ): m.title
        for m in p.memberships
    }
    for membership in user.memberships.order_by("pk"):
        key = (membership.area_id, membership.unit_id)
        if key not in wanted:
            membership.delete()
            report.updated["membership"] += 1
            continue
        title = wanted.pop(key)
        if membership.title != title:
            membership.title = title
            membership.save()
            report.updated["membership"] += 1
    for (area_id, unit_id), title in wanted.items():
        Membership.objects.create(user=user, area_id=area_id, unit_id=unit_id, title=title)
        report.created["membership"] += 1


# --- reading it back ------------------------------------------------------------------


def export_demo(plan: DemoPlan) -> dict[str, list[Any]]:
    """What the database holds of the demo, in a canonical order: for comparing runs."""
    area_codes = [a.code for a in plan.areas]
    return {
        "areas": [
            [a.code, a.kind, a.name, a.parent.code if a.parent else None, a.geometry]
            for a in Area.objects.filter(code__in=area_codes).select_related("parent").order_by("code")
        ],
        "buildings": [
            list(row)
            for row in Building.objects.filter(street__code__in=list(plan.street_names))
            .order_by("street__code", "normalized_address")
            .values_list(
                "street__code",
                "normalized_address",
                "name",
                "lon",
                "lat",
                "grid__code",
                "floors",
                "households",
            )
        ],
        "layers": [
            [
                g.layer,
                g.code,
                g.name,
                g.street.code,
                g.geometry,
                sorted(g.comprehensive_grids.values_list("code", flat=True)),
            ]
            for g in GridLayer.objects.filter(code__in=[p.code for p in plan.layers])
            .select_related("street")
            .order_by("layer", "code")
        ],
        "units": [
            [
                u.code,
                u.kind,
                u.name,
                u.contact_person,
                personal.unmasked(u.phone),  # compared, never shown
                sorted(u.jurisdiction.values_list("code", flat=True)),
            ]
            for u in Unit.objects.filter(code__in=[p.code for p in plan.units]).order_by("code")
        ],
        "users": [
            [u.username, u.role, u.full_name, sorted(str(m) for m in u.memberships.all())]
            for u in User.objects.filter(username__in=[p.username for p in plan.users]).order_by("username")
        ],
    }
