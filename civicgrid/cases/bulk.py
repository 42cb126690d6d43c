"""Chunked intake: many cases in one transaction, with a bounded number of queries per chunk.

`create_cases_bulk()` gives each case exactly what `actions.create_case` would (number,
place, lead unit, deadlines, CREATE event with the same note and data, duplicate
candidates) but does the lookups per chunk: one building query, one STRtree pass, one
duty-rule query, one duplicate query, one number reservation per (street, year), and
bulk INSERTs. It is for system intake (the 12345 import): no actor, no photos, no scope.
A row that fails validation is returned as its error and never affects the others.
"""

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from civicgrid.core.address import lane_of, normalize_address
from civicgrid.geo.index import Location, locate_many
from civicgrid.geo.models import Building

from . import actions, deadlines, routing
from .actions import CaseInput
from .choices import OPEN_STATUSES, CaseAction, CaseStatus, Channel, RequestType, Urgency
from .duplicates import _bigrams, distance_m
from .errors import CaseError, InvalidInput
from .models import Case, CaseEvent, CaseSequence, Category, DutyRule

_CHUNK_IDS = 1 << 62  # above any stored id: sorts the chunk's unsaved cases last, as newest
BulkItem = tuple[CaseInput, str]  # (input, source fingerprint)
Outcome = Case | CaseError


@dataclass
class _Valid:
    index: int
    data: CaseInput
    fingerprint: str
    category: Category
    location: Location
    lon: float | None
    lat: float | None
    building: Building | None


def _categories(items: Sequence[BulkItem]) -> dict[str, Category]:
    """Codes given as text, looked up once per chunk (the import passes Category objects)."""
    codes = {str(d.category or "").strip() for d, _ in items if not isinstance(d.category, Category)}
    if not codes:
        return {}
    rows = Category.objects.filter(code__in=codes, is_active=True).select_related("parent")
    return {c.code: c for c in rows}


def _category(value: Any, by_code: dict[str, Category]) -> Category:
    if isinstance(value, Category):
        return actions.resolve_category(value)
    found = by_code.get(str(value or "").strip())
    if found is None:
        raise InvalidInput(f"问题分类“{value}”不存在或已停用", {"category": "unknown"})
    return found


def _attach_lineage(categories: list[Category]) -> None:
    """Give every category its parent chain, with one query if any link is not loaded yet, so
    routing and deadlines walk the tree without a query per case."""
    parent = Category._meta.get_field("parent")

    def complete(node: Category) -> bool:
        while node.parent_id:
            if not parent.is_cached(node):  # type: ignore[attr-defined]
                return False
            node = node.parent  # type: ignore[assignment]
        return True

    missing = [c for c in categories if not complete(c)]
    if not missing:
        return
    by_id = {c.pk: c for c in Category.objects.all().linked()}
    for c in missing:
        if c.parent_id:
            c.parent = by_id[c.parent_id]


def _buildings(addresses: set[str]) -> dict[str, Building | None]:
    """find_building() for many addresses with one query: the normalised address, else its
    lane entry; an address matching several buildings is None, as there."""
    wanted: dict[str, tuple[str, str]] = {}
    for address in addresses:
        normalized = normalize_address(address)
        if normalized:
            wanted[address] = (normalized, lane_of(normalized) or "")
    keys = {k for pair in wanted.values() for k in pair if k}
    found: dict[str, list[Building]] = defaultdict(list)
    if keys:
        for b in Building.objects.filter(normalized_address__in=keys):
            found[b.normalized_address].append(b)
    out: dict[str, Building | None] = {}
    for address in addresses:
        out[address] = None
        for candidate in wanted.get(address, ("", "")):
            if not candidate:
                continue
            matches = found.get(candidate, [])
            if matches:
                out[address] = matches[0] if len(matches) == 1 else None
                break
    return out


def _validate(items: Sequence[BulkItem]) -> tuple[list[_Valid], dict[int, CaseError]]:
    errors: dict[int, CaseError] = {}
    by_code = _categories(items)
    buildings = _buildings({(d.address or "").strip() for d, _ in items if (d.address or "").strip()})
    staged: list[tuple[int, CaseInput, str, Category, Building | None, float | None, float | None]] = []
    for i, (data, fp) in enumerate(items):
        try:
            # The same checks, in the same order, as actions.validate_input / resolve_place.
            actions._choice(data.request_type, RequestType, "request_type", "诉求类型")
            actions._choice(data.channel, Channel, "channel", "来源渠道")
            actions._choice(data.urgency, Urgency, "urgency", "紧急程度")
            actions._required(data.description, "description", "诉求内容")
            category = _category(data.category, by_code)
            lon, lat = data.lon, data.lat
            if lon is not None or lat is not None:
                if lon is None or lat is None:
                    raise InvalidInput("经度和纬度须同时提供", {"lon" if lon is None else "lat": "required"})
                if not (73 <= float(lon) <= 136 and 3 <= float(lat) <= 54):
                    raise InvalidInput(
                        "坐标超出范围（应为 WGS84 经纬度）", {"lon": "out_of_range", "lat": "out_of_range"}
                    )
                lon, lat = float(lon), float(lat)
            building = buildings.get((data.address or "").strip())
            if data.photos:
                raise ValueError("create_cases_bulk does not store photos: use actions.create_case")
        except CaseError as exc:
            errors[i] = exc
            continue
        staged.append((i, data, fp, category, building, lon, lat))

    # One STRtree pass for the points (given, else the building's); a given point outside
    # every street falls back to its building, as in resolve_place.
    def point(s: Any) -> tuple[float, float] | None:
        if s[5] is not None:
            return s[5], s[6]
        return (s[4].lon, s[4].lat) if s[4] is not None else None

    points = [p for s in staged if (p := point(s)) is not None]
    located = iter(locate_many([p[0] for p in points], [p[1] for p in points]) if points else [])
    locations = [next(located) if point(s) is not None else Location() for s in staged]
    retry = [k for k, s in enumerate(staged) if not locations[k] and s[5] is not None and s[4] is not None]
    if retry:
        again = locate_many([staged[k][4].lon for k in retry], [staged[k][4].lat for k in retry])  # type: ignore[union-attr]
        for k, loc in zip(retry, again, strict=True):
            locations[k] = loc
    _attach_lineage(list({id(s[3]): s[3] for s in staged}.values()))
    valid: list[_Valid] = []
    for (i, data, fp, category, building, lon, lat), loc in zip(staged, locations, strict=True):
        if not loc:
            errors[i] = InvalidInput(
                "无法定位：地址未找到且没有坐标，或坐标不在本平台的任何街道内", {"address": "not_located"}
            )
            continue
        if lon is None and building is not None:
            lon, lat = building.lon, building.lat
        valid.append(_Valid(i, data, fp, category, loc, lon, lat, building))
    return valid, errors


class _Router:
    """routing.route() over the duty rules of one chunk, loaded with one query (plus the
    co-units' prefetch) and answered from memory per (category, grid, residential area, street)."""

    def __init__(self, valid: list[_Valid]) -> None:
        area_ids = {
            a.id
            for v in valid
            for a in (v.location.grid, v.location.residential_area, v.location.street)
            if a is not None
        }
        category_ids = {c.pk for v in valid for c in v.category.lineage()}
        self.rules: list[DutyRule] = []
        if area_ids:
            self.rules = list(
                DutyRule.objects.filter(is_active=True, area_id__in=area_ids, category_id__in=category_ids)
                .select_related("lead_unit")
                .prefetch_related("co_units")
            )
        self.cache: dict[tuple[int, ...], tuple[Any, list[Any]] | None] = {}

    def route(self, category: Category, loc: Location) -> tuple[Any, list[Any]] | None:
        areas = [a.id for a in (loc.grid, loc.residential_area, loc.street) if a is not None]
        key = (category.pk, *areas)
        if key not in self.cache:
            found = routing.choose(self.rules, category, areas)
            self.cache[key] = (found.lead_unit, found.co_units) if found else None
        return self.cache[key]


def _reserve_numbers(valid: list[_Valid], received: list[datetime]) -> list[str]:
    """A block of numbers per (street, year): one locked read and one UPDATE each."""
    wanted: dict[tuple[int, int], int] = defaultdict(int)
    keys = []
    for v, at in zip(valid, received, strict=True):
        key = (v.location.street.id, timezone.localtime(at).year)  # type: ignore[union-attr]
        wanted[key] += 1
        keys.append(key)
    next_of: dict[tuple[int, int], int] = {}
    for (street_id, year), n in wanted.items():
        seq, _ = CaseSequence.objects.select_for_update().get_or_create(street_id=street_id, year=year)
        CaseSequence.objects.filter(pk=seq.pk).update(last=F("last") + n)
        next_of[(street_id, year)] = seq.last + 1
    numbers = []
    for v, key in zip(valid, keys, strict=True):
        numbers.append(f"{v.location.street.code}-{key[1]}-{next_of[key]:06d}")  # type: ignore[union-attr]
        next_of[key] += 1
    return numbers


class _Duplicates:
    """duplicates.candidates() for a chunk: one query for the open cases that any case of
    the chunk could match, then the same filters (first 50 near rows by recency, distance,
    similarity) in memory, counting the chunk's earlier cases too."""

    def __init__(self, cases: list[Case]) -> None:
        self.radius = settings.CIVICGRID_DUPLICATE_RADIUS_M
        self.days = timedelta(days=settings.CIVICGRID_DUPLICATE_DAYS)
        self.minimum = settings.CIVICGRID_DUPLICATE_MIN_SIMILARITY
        self.by_key: dict[tuple[int, int], list[Case]] = defaultdict(list)
        self.grams: dict[int, set[str]] = {}
        if not cases:
            return
        near = Q(building_id__in={c.building_id for c in cases if c.building_id})
        boxes = [self._box(c) for c in cases if c.lon is not None and c.lat is not None]
        if boxes:
            near |= Q(
                lon__range=(min(b[0] for b in boxes), max(b[1] for b in boxes)),
                lat__range=(min(b[2] for b in boxes), max(b[3] for b in boxes)),
            )
        rows = Case.objects.filter(
            near,
            street_id__in={c.street_id for c in cases},
            category_id__in={c.category_id for c in cases},
            status__in=OPEN_STATUSES,
            received_at__gte=min(c.received_at for c in cases) - self.days,
            received_at__lte=max(c.received_at for c in cases),
        ).only(
            "id",
            "number",
            "building_id",
            "lon",
            "lat",
            "description",
            "received_at",
            "street_id",
            "category_id",
        )
        for row in rows:
            self.by_key[(row.street_id, row.category_id)].append(row)

    def _box(self, case: Case) -> tuple[float, float, float, float]:
        dlat = self.radius / 111_000
        dlon = self.radius / (111_000 * max(math.cos(math.radians(case.lat)), 0.01))  # type: ignore[arg-type]
        return case.lon - dlon, case.lon + dlon, case.lat - dlat, case.lat + dlat  # type: ignore[operator]

    def _bigrams(self, case: Case, key: int) -> set[str]:
        found = self.grams.get(key)
        if found is None:
            found = self.grams[key] = _bigrams(case.description)
        return found

    def find(self, case: Case, serial: int) -> list[str]:
        since = case.received_at - self.days
        has_point = case.lon is not None and case.lat is not None
        box = self._box(case) if has_point else None
        rows = []
        for other in self.by_key.get((case.street_id, case.category_id), []):
            if not (since <= other.received_at <= case.received_at):
                continue
            if (
                case.building_id
                and other.building_id == case.building_id
                or (
                    box is not None
                    and other.lon is not None
                    and other.lat is not None
                    and box[0] <= other.lon <= box[1]
                    and box[2] <= other.lat <= box[3]
                )
            ):
                rows.append(other)
        # Case.Meta.ordering; the chunk's own cases get their ids later, in chunk order.
        rows.sort(
            key=lambda c: (c.received_at, c.pk or _CHUNK_IDS + getattr(c, "_bulk_serial", 0)), reverse=True
        )
        mine = self._bigrams(case, -serial - 1)
        found = []
        for other in rows[:50]:
            same_building = bool(case.building_id and other.building_id == case.building_id)
            dist = None
            if has_point and other.lon is not None and other.lat is not None:
                dist = distance_m(case.lon, case.lat, other.lon, other.lat)  # type: ignore[arg-type]
            if not same_building and (dist is None or dist > self.radius):
                continue
            theirs = self._bigrams(other, other.pk or -getattr(other, "_bulk_serial", 0) - 1)
            score = len(mine & theirs) / min(len(mine), len(theirs)) if mine and theirs else 0.0
            if score >= self.minimum:
                found.append((score, other.received_at, other.number))
        found.sort(key=lambda f: (-f[0], f[1]))
        return [number for _s, _at, number in found]

    def add(self, case: Case, serial: int) -> None:
        """A case of this chunk, visible to the chunk's later cases (as after its own commit)."""
        case._bulk_serial = serial  # type: ignore[attr-defined]
        self.by_key[(case.street_id, case.category_id)].append(case)


def _build(valid: list[_Valid], via: str) -> tuple[list[Case], list[CaseEvent]]:
    router = _Router(valid)
    now = timezone.now()
    received = [v.data.received_at or now for v in valid]
    memo: dict[tuple[Any, ...], deadlines.Deadlines] = {}
    numbers = _reserve_numbers(valid, received)
    cases: list[Case] = []
    proposals = []
    for v, at, number in zip(valid, received, numbers, strict=True):
        data, loc = v.data, v.location
        key = (at, data.request_type, v.category.pk, data.urgency)
        due = memo.get(key)
        if due is None:
            due = memo[key] = deadlines.compute(at, data.request_type, v.category, data.urgency)
        proposal = router.route(v.category, loc)
        proposals.append(proposal)
        cases.append(
            Case(
                number=number,
                status=CaseStatus.NEW,
                request_type=data.request_type,
                category=v.category,
                title=(data.title or data.description).strip()[:100],
                description=data.description.strip(),
                channel=data.channel,
                urgency=data.urgency,
                lon=v.lon,
                lat=v.lat,
                address=(data.address or "").strip() or (str(v.building) if v.building else ""),
                building=v.building,
                street_id=loc.street.id,  # type: ignore[union-attr]
                residential_area_id=loc.residential_area.id if loc.residential_area else None,
                grid_id=loc.grid.id if loc.grid else None,
                reporter_name=(data.reporter_name or "").strip(),
                reporter_phone=(data.reporter_phone or "").strip(),
                reporter_anonymous=bool(data.reporter_anonymous),
                created_by=None,
                source=data.source,
                external_id=data.external_id or None,
                source_fingerprint=v.fingerprint,
                lead_unit=proposal[0] if proposal else None,
                received_at=at,
                response_due_at=due.response_due_at,
                handling_due_at=due.handling_due_at,
            )
        )
    # Duplicates are searched before the INSERT (the chunk's earlier cases are added as we go).
    dups = _Duplicates(cases)
    candidates = []
    for serial, case in enumerate(cases):
        candidates.append(dups.find(case, serial))
        dups.add(case, serial)
    Case.objects.bulk_create(cases)
    events = [
        CaseEvent(
            case=case,
            at=now,
            actor=None,
            actor_label=actions.actor_label(None),
            action=CaseAction.CREATE,
            from_status="",
            to_status=CaseStatus.NEW,
            note=f"经{case.get_channel_display()}登记",
            data={
                "via": via,
                "routed_to": proposal[0].name if proposal else None,
                "co_units": [u.name for u in proposal[1]] if proposal else [],
                "duplicate_candidates": found,
            },
            street_id=case.street_id,
        )
        for case, proposal, found in zip(cases, proposals, candidates, strict=True)
    ]
    CaseEvent.objects.bulk_create(events)
    return cases, events


def create_cases_bulk(items: Sequence[BulkItem], *, via: str = "import") -> list[Outcome]:
    """Create a case per (input, fingerprint), in one transaction; the answer is aligned with
    `items`: the Case, or the CaseError the row would get from create_case. If the chunk hits
    a unique violation (another import wrote the same 工单编号 meanwhile), it is redone row
    by row with create_case, which reports those rows as Conflict."""
    if not items:
        return []
    out: list[Outcome | None] = [None] * len(items)
    valid, errors = _validate(items)
    for i, exc in errors.items():
        out[i] = exc
    try:
        with transaction.atomic():
            cases, _events = _build(valid, via)
    except IntegrityError:
        for v in valid:
            try:
                out[v.index] = actions.create_case(v.data, None, fingerprint=v.fingerprint, via=via)
            except CaseError as exc:
                out[v.index] = exc
        return [o for o in out if o is not None]
    for v, case in zip(valid, cases, strict=True):
        out[v.index] = case
    return [o for o in out if o is not None]
