"""Bulk intake: many cases per transaction, for system imports (the 12345 hotline file).

`create_cases_bulk()` gives each case exactly what `actions.create_case(..., find_duplicates=False)`
would (number, place, lead unit, deadlines, CREATE event with the same note and data) but does
the lookups per chunk and remembers them for the whole run (`Intake`): buildings by address,
routes by (category, grid, residential area, street), deadlines by (day, rule), one STRtree pass
per chunk, one number reservation per (street, year). On PostgreSQL the rows are written with
COPY, on SQLite with one executemany per table (ids reserved first, so the CREATE events —
`core.Event` and the timeline row that points at it — can point at their cases). No model
instance is built: a row costs a few dict and tuple operations in Python.

With `histories` (one tuple of `Past` steps per item) the cases arrive already worked on — a
migration of handled orders, the demo's year: each step of the plain loop (PAST_ACTIONS) is
checked against the transition table from the state the steps before it left, and written as
the action would write it (its `core.Event` and timeline row at its time, the assignments,
callbacks and case dates its body sets), in the same chunk. Rarer steps (return, extension,
reopen, merge…) go through cases.actions.

It does not search for duplicate orders: 12345 merges its own repeats before sending, and the
case page lists live candidates for every case (duplicates.candidates). No actor, no photos,
no scope, no message telling the reporter the case is registered: intake by the system. A row
that fails validation is returned as its error and never affects the others. With an `actor`
(who uploaded the file) the cases are theirs (created_by, timeline) and rows outside their
streets are refused, as in create_case.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from django.db import DataError, IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone

from civicgrid.core import clock, events, personal
from civicgrid.core.address import lane_of, normalize_address
from civicgrid.core.models import Event
from civicgrid.core.querysets import user_scope
from civicgrid.geo.index import Location, PlaceRef, locate_many
from civicgrid.geo.models import Building

from . import actions, deadlines, routing
from .actions import CaseInput
from .actions.common import choice, received_in_range, required
from .choices import AssignmentRole, AssignmentStatus, CaseAction, CaseStatus, Channel, RequestType, Urgency
from .errors import CaseError, InvalidInput
from .models import Assignment, Callback, Case, CaseEvent, CaseSequence, Category, DutyRule
from .workflow import MACHINE

BulkItem = tuple[CaseInput, str]  # (input, source fingerprint)
# Caches of a run are dropped when they grow past this many entries (a million-row file
# with a million distinct addresses must not hold them all).
CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class Created:
    """A case written by the bulk path (no model instance is built for it)."""

    pk: int
    number: str
    external_id: str | None


Outcome = Created | CaseError
# (lead unit id, its name, co-unit names, co-unit ids)
_Route = tuple[int, str, list[str], list[int]] | None
# Choices.values builds a list on every call: the bulk validation checks these sets first.
_REQUEST_TYPES = frozenset(RequestType.values)
_CHANNELS = frozenset(Channel.values)
_URGENCIES = frozenset(Urgency.values)


@dataclass(slots=True)
class _Valid:
    index: int
    data: CaseInput
    fingerprint: str
    category: Category
    place: actions.ResolvedPlace

    @property
    def location(self) -> Location:
        return self.place.location


class Intake:
    """What a run learns once and reuses for every chunk: an import makes one and passes it
    to each create_cases_bulk() call. Only static reference data is cached (buildings, duty
    rules, the calendar); a run sees a duty rule changed during the run from its next Intake."""

    def __init__(self) -> None:
        self.categories: dict[str, Category] = {}
        self.tree: dict[int, Category] | None = None
        self.buildings: dict[str, Building | None] = {}
        self.routes: dict[tuple[int, ...], _Route] = {}
        self.deadlines = deadlines.Memo()
        self.callback_dues: dict[tuple[int, Any], datetime] = {}
        self.sole_streets: dict[Any, PlaceRef | None] = {}

    def sole_street(self, scope: Any) -> PlaceRef | None:
        """actions.sole_street(scope), looked up once per run."""
        if scope not in self.sole_streets:
            self.sole_streets[scope] = actions.sole_street(scope)
        return self.sole_streets[scope]

    # ---- categories given as codes (the import passes Category objects)
    def load_codes(self, items: Sequence[BulkItem]) -> None:
        codes = {str(d.category or "").strip() for d, _ in items if not isinstance(d.category, Category)}
        codes -= self.categories.keys()
        if codes:
            for c in Category.objects.filter(code__in=codes, is_active=True):
                self.categories[c.code] = c

    def category(self, value: Any) -> Category:
        if isinstance(value, Category):
            return actions.resolve_category(value)
        code = str(value or "").strip()
        found = self.categories.get(code)  # load_codes() ran for the chunk
        if found is None:
            raise InvalidInput(f"问题分类“{value}”不存在或已停用", {"category": "unknown"})
        return found

    def attach_lineage(self, categories: Iterable[Category]) -> None:
        """Give every category its parent chain (one query if any link is not loaded yet), so
        routing and deadlines walk the tree without a query per case."""
        parent = Category._meta.get_field("parent")

        def complete(node: Category) -> bool:
            while node.parent_id:
                if not parent.is_cached(node):  # type: ignore[attr-defined]
                    return False
                node = node.parent  # type: ignore[assignment]
            return True

        missing = [c for c in categories if not complete(c)]
        if missing:
            if self.tree is None:
                self.tree = {c.pk: c for c in Category.objects.all().linked()}
            for c in missing:
                if c.parent_id:
                    c.parent = self.tree[c.parent_id]

    # ---- find_building() for many addresses with one query per chunk
    def find_buildings(self, addresses: set[str]) -> dict[str, Building | None]:
        """The normalised address, else its lane entry; an address matching several buildings
        is None, as in geo.services.find_building."""
        unknown = addresses - self.buildings.keys()
        if unknown:
            if len(self.buildings) + len(unknown) > CACHE_LIMIT:
                self.buildings.clear()
            wanted: dict[str, tuple[str, str]] = {}
            for address in unknown:
                normalized = normalize_address(address)
                if normalized:
                    wanted[address] = (normalized, lane_of(normalized) or "")
            keys = {k for pair in wanted.values() for k in pair if k}
            found: dict[str, list[Building]] = defaultdict(list)
            if keys:
                for b in Building.objects.filter(normalized_address__in=keys):
                    found[b.normalized_address].append(b)
            for address in unknown:
                self.buildings[address] = None
                for candidate in wanted.get(address, ("", "")):
                    matches = found.get(candidate, []) if candidate else []
                    if matches:
                        self.buildings[address] = matches[0] if len(matches) == 1 else None
                        break
        return self.buildings

    # ---- routing.route() answered from memory
    def route_all(self, valid: list[_Valid]) -> list[_Route]:
        keys = [self._route_key(v) for v in valid]
        missing = {k: v for k, v in zip(keys, valid, strict=True) if k not in self.routes}
        if missing:
            if len(self.routes) + len(missing) > CACHE_LIMIT:
                self.routes.clear()
            area_ids = {a for k in missing for a in k[1:]}
            category_ids = {c.pk for v in missing.values() for c in v.category.lineage()}
            rules = routing.index_rules(
                DutyRule.objects.filter(is_active=True, area_id__in=area_ids, category_id__in=category_ids)
                .select_related("lead_unit")
                .prefetch_related("co_units")
                .order_by("pk")
            )
            for key, v in missing.items():
                found = routing.choose(rules, v.category, list(key[1:]))
                self.routes[key] = (
                    (
                        found.lead_unit.pk,
                        found.lead_unit.name,
                        [u.name for u in found.co_units],
                        [u.pk for u in found.co_units],
                    )
                    if found
                    else None
                )
        return [self.routes[k] for k in keys]

    @staticmethod
    def _route_key(v: _Valid) -> tuple[int, ...]:
        loc = v.location
        return (v.category.pk, *(a.id for a in (loc.grid, loc.residential_area, loc.street) if a is not None))

    def callback_due(self, closed_at: datetime, street_id: int) -> datetime:
        """deadlines.callback_due, once per (street, day): a working-day limit."""
        key = (street_id, timezone.localtime(closed_at).date())
        found = self.callback_dues.get(key)
        if found is None:
            found = self.callback_dues[key] = deadlines.callback_due(closed_at, street_id)
        return found


def _validate(
    items: Sequence[BulkItem], intake: Intake, scope: Any = None
) -> tuple[list[_Valid], dict[int, CaseError]]:
    errors: dict[int, CaseError] = {}
    intake.load_codes(items)
    buildings = intake.find_buildings(
        {(d.address or "").strip() for d, _ in items if (d.address or "").strip()}
    )
    staged: list[tuple[int, CaseInput, str, Category, Building | None, float | None, float | None]] = []
    for i, (data, fp) in enumerate(items):
        try:
            # The same checks, in the same order, as actions.validate_input / resolve_place
            # (the sets first: Choices.values builds a list on every call).
            if data.request_type not in _REQUEST_TYPES:
                choice(data.request_type, RequestType, "request_type", "诉求类型")
            if data.channel not in _CHANNELS:
                choice(data.channel, Channel, "channel", "来源渠道")
            if data.urgency not in _URGENCIES:
                choice(data.urgency, Urgency, "urgency", "紧急程度")
            required(data.description, "description", "诉求内容")
            received_in_range(data.received_at)
            category = intake.category(data.category)
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
    intake.attach_lineage({id(s[3]): s[3] for s in staged}.values())
    valid: list[_Valid] = []
    for (i, data, fp, category, building, lon, lat), loc in zip(staged, locations, strict=True):
        if lon is None and building is not None:
            lon, lat = building.lon, building.lat
        conflict = data.lon is not None and actions.grids_differ(loc, building)
        try:
            place = actions.settle(
                actions.ResolvedPlace(loc, lon, lat, building, grid_conflict=conflict),
                data,
                lambda: intake.sole_street(scope),
            )
            actions.check_street_scope(scope, place.location)
        except CaseError as exc:
            errors[i] = exc
            continue
        valid.append(_Valid(i, data, fp, category, place))
    return valid, errors


def _reserve_numbers(valid: list[_Valid], received: list[datetime]) -> list[str]:
    """A block of numbers per (street, year): one locked read and one UPDATE each."""
    wanted: dict[tuple[int, int], int] = defaultdict(int)
    keys = []
    for v, at in zip(valid, received, strict=True):
        key = (v.location.street.id, timezone.localtime(at).year)  # type: ignore[union-attr]
        wanted[key] += 1
        keys.append(key)
    next_of: dict[tuple[int, int], int] = {}
    for (street_id, year), n in sorted(wanted.items()):  # a fixed order: no deadlock between imports
        seq, _ = CaseSequence.objects.select_for_update().get_or_create(street_id=street_id, year=year)
        CaseSequence.objects.filter(pk=seq.pk).update(last=F("last") + n)
        next_of[(street_id, year)] = seq.last + 1
    numbers = []
    for v, key in zip(valid, keys, strict=True):
        numbers.append(f"{v.location.street.code}-{key[1]}-{next_of[key]:06d}")  # type: ignore[union-attr]
        next_of[key] += 1
    return numbers


class _Rows:
    """Rows of one model as {attname: value}; the fields a row leaves out get the model's
    defaults (auto_now fields: the chunk's time), computed once per model."""

    def __init__(self, model: type[models.Model], now: datetime) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        template = model()
        self.defaults: dict[str, Any] = {}
        self.callables: dict[str, models.Field[Any, Any]] = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
            elif f.has_default() and callable(f.default):
                self.callables[f.attname] = f  # a fresh value per row that leaves it out
            elif not f.primary_key:
                self.defaults[f.attname] = getattr(template, f.attname)
        self.rows: list[dict[str, Any]] = []
        self.owners: list[int] = []  # each row's case, as its position in the chunk

    def add(self, values: dict[str, Any], owner: int = 0) -> None:
        self.rows.append(values)
        self.owners.append(owner)

    def link(self, name: str, case_ids: list[int]) -> None:
        """Point each row (`name`) at its case, once the cases have ids."""
        for values, owner in zip(self.rows, self.owners, strict=True):
            values[name] = case_ids[owner]

    def write(self, cursor: Any, ids: list[int], rows: Iterable[dict[str, Any]] | None = None) -> None:
        """Insert the rows (default: those added) with the given ids: COPY on PostgreSQL (the
        raw psycopg cursor), one executemany elsewhere (SQLite). Values are converted here as
        Django would store them (JSON, choices, personal fields; SQLite's datetimes) and no
        model instance is built. Rows given as a generator are built while the database takes
        the rows already sent."""
        columns = [str(f.column) for f in self.fields]
        names = [f.attname for f in self.fields]
        pk = str(self.model._meta.pk.attname)  # type: ignore[union-attr]
        postgres = connection.vendor == "postgresql"
        # Positions that need a conversion; every other value goes as the driver adapts it.
        json_at = [i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)]
        # Choices enums as their values: psycopg would dump an Enum by its name.
        enum_at = [i for i, f in enumerate(self.fields) if f.choices]
        adapt = connection.ops.adapt_datetimefield_value
        moments_at = (
            [] if postgres else [i for i, f in enumerate(self.fields) if isinstance(f, models.DateTimeField)]
        )
        callables = self.callables
        sealed = personal.hash_fields(self.model)

        def prepared() -> Iterator[list[Any]]:
            for row_id, row in zip(ids, self.rows if rows is None else rows, strict=True):
                merged = {**self.defaults, **row}
                personal.seal(merged, sealed)  # the token and the search hash, as save() writes them
                for name, made in callables.items():
                    if name not in row:
                        merged[name] = made.get_default()
                merged[pk] = row_id
                values = [merged[n] for n in names]
                for i in json_at:
                    values[i] = json.dumps(values[i], ensure_ascii=False)
                for i in enum_at:
                    if isinstance(values[i], Enum):
                        values[i] = values[i].value
                for i in moments_at:
                    values[i] = adapt(values[i])
                yield values

        quote = connection.ops.quote_name
        table = f"{quote(self.model._meta.db_table)} ({', '.join(quote(c) for c in columns)})"
        if postgres:
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for values in prepared():
                    copy.write_row(values)
        else:
            cursor.executemany(f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(columns))})", prepared())


def _next_ids(cursor: Any, tables: Sequence[type[models.Model]], n: int) -> list[list[int]]:
    """`n` ids for each model's table: one query for all of them. PostgreSQL: from the
    tables' sequences. SQLite: after the highest id the table has had (its AUTOINCREMENT
    counter), as a write transaction holds the whole database until it commits."""
    if connection.vendor == "postgresql":
        sql = ", ".join("nextval(pg_get_serial_sequence(%s, %s))" for _ in tables)
        args = [value for model in tables for value in (model._meta.db_table, model._meta.pk.column)]  # type: ignore[union-attr]
        cursor.execute(f"SELECT {sql} FROM generate_series(1, %s)", [*args, n])
        rows = cursor.fetchall()
        return [[int(row[k]) for row in rows] for k in range(len(tables))]
    quote = connection.ops.quote_name
    parts = [
        f"max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"
        f" coalesce((SELECT max({quote(str(model._meta.pk.column))}) FROM {quote(model._meta.db_table)}), 0))"  # type: ignore[union-attr]
        for model in tables
    ]
    cursor.execute(f"SELECT {', '.join(parts)}", [model._meta.db_table for model in tables])
    return [list(range(last + 1, last + n + 1)) for last in cursor.fetchone()]


def _link(rows: list[dict[str, Any]], name: str, ids: list[int]) -> None:
    """Point each row (`name`) at the row of the same position that `ids` numbers."""
    for values, pk in zip(rows, ids, strict=True):
        values[name] = pk


@dataclass(frozen=True, slots=True)
class Past:
    """A step already taken on an order that arrives with its history (see the module's
    docstring). `role` says whose step a unit's step is: the lead unit's, or the co-handlers'
    (one timeline row per co-handling unit, as each signs for itself). `data` is what the
    action's form would carry: a callback's contacted, resolution and satisfaction; a
    comment's contacted_requester."""

    action: str
    at: datetime
    actor: Any = None
    role: str = AssignmentRole.LEAD
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


A = CaseAction
# The steps of the plain loop the bulk path can write; their bodies are in cases.actions.
PAST_ACTIONS = frozenset(
    {
        A.FILE,
        A.REJECT,
        A.DISPATCH,
        A.SIGN,
        A.REPORT_BACK,
        A.VERIFY_PASS,
        A.CLOSE,
        A.CALLBACK,
        A.COMMENT,
        A.SUSPEND,
    }
)
# A unit's step moves the case only when the lead unit takes it (workflow.moves_if_lead).
_LEAD_TARGETS: dict[str, str] = {A.SIGN: CaseStatus.IN_PROGRESS, A.REPORT_BACK: CaseStatus.HANDLED}
_DESK_ANSWERS = frozenset({RequestType.INQUIRY, RequestType.SUGGESTION})
_UNIT_NEEDS: dict[str, str] = {A.SIGN: AssignmentStatus.PENDING, A.REPORT_BACK: AssignmentStatus.SIGNED}


class _History:
    """Plays the past steps of the chunk's cases onto their rows: what each action's body in
    cases.actions sets, and the event and timeline row the frame writes for it."""

    def __init__(self, logged: _Rows, timeline: _Rows, now: datetime, intake: Intake) -> None:
        self.logged, self.timeline, self.intake = logged, timeline, intake
        self.assignments = _Rows(Assignment, now)
        self.callbacks = _Rows(Callback, now)
        self.labels: dict[int | None, str] = {}

    def record(
        self, k: int, row: dict[str, Any], step: Past, to_status: str, *, unit_id: Any = None, **data: Any
    ) -> None:
        actor = step.actor
        actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
        if actor_id not in self.labels:
            self.labels[actor_id] = actions.actor_label(actor)
        row["version"] += 1
        self.logged.add(
            events.row(
                "cases",
                "case",
                None,
                step.action,
                actor=actor,
                street_id=row["street_id"],
                version=row["version"],
                at=step.at,
            ),
            k,
        )
        self.timeline.add(
            {
                "at": step.at,
                "actor_id": actor_id,
                "actor_label": self.labels[actor_id],
                "unit_id": unit_id,
                "action": step.action,
                "from_status": row["status"],
                "to_status": to_status,
                "note": step.note,
                "data": data,
                "street_id": row["street_id"],
            },
            k,
        )
        row["status"] = to_status

    def play(self, k: int, row: dict[str, Any], steps: Sequence[Past], route: _Route) -> None:
        """Apply `steps` to the case row `row` (the chunk's k-th case); a step the transition
        table does not allow from where the steps before it left the case is a ValueError."""
        mine: list[dict[str, Any]] = []  # the case's assignments
        row["created_at"] = last = row["received_at"]
        for step in steps:
            status, at = row["status"], step.at
            transition = MACHINE[step.action]
            if step.action not in PAST_ACTIONS or status not in transition.sources or at < last:
                raise ValueError(f"{row['number']}: {step.action} at {at} cannot follow {status} at {last}")
            last = at
            target = transition.target if isinstance(transition.target, str) else status
            actor_id = step.actor.pk if getattr(step.actor, "is_authenticated", False) else None
            if step.action in _UNIT_NEEDS:
                self._unit_step(k, row, step, mine, actor_id)
                continue
            data: dict[str, Any] = {}
            if step.action == A.DISPATCH:
                if route is None:
                    raise ValueError(f"{row['number']}: no duty rule to dispatch to")
                for unit_id, role in [
                    (route[0], AssignmentRole.LEAD),
                    *((u, AssignmentRole.CO) for u in route[3]),
                ]:
                    mine.append(
                        {
                            "unit_id": unit_id,
                            "role": role,
                            "status": AssignmentStatus.PENDING,
                            "dispatched_at": at,
                            "dispatched_by_id": actor_id,
                            "handling_due_at": row["handling_due_at"],
                            "street_id": row["street_id"],
                        }
                    )
                    self.assignments.add(mine[-1], k)
                data = {"lead_unit": route[1], "co_units": route[2], "cancelled": 0}
            elif step.action in (A.REJECT, A.CLOSE):
                if (
                    step.action == A.CLOSE
                    and status == CaseStatus.FILED
                    and row["request_type"] not in _DESK_ANSWERS
                ):
                    # workflow._closable: the desk closes only what it answers itself.
                    raise ValueError(f"{row['number']}: only inquiries and suggestions close when filed")
                if step.action == A.CLOSE:
                    row["responded_at"] = row["responded_at"] or at
                    row["callback_due_at"] = self.intake.callback_due(at, row["street_id"])
                    data = {"followers": []}
                row["closed_at"] = at
                if step.action == A.REJECT:
                    row["public_result"] = step.note  # the reporter is told why (reject_case)
                else:
                    # What residents read: the handler's report as the desk approved it (close_case).
                    handled = row.get("resolution_note") or step.note
                    row["public_result"] = step.data.get("public_result") or handled
                if step.note:
                    row["resolution_note"] = step.note
            elif step.action == A.CALLBACK:
                contacted = bool(step.data.get("contacted", True))
                resolution = step.data.get("resolution", "") if contacted else ""
                satisfaction = step.data.get("satisfaction", "") if contacted else ""
                if contacted and not (resolution and satisfaction):
                    raise ValueError(
                        f"{row['number']}: a callback that reached the requester needs its answers"
                    )
                self.callbacks.add(
                    {
                        "at": at,
                        "by_id": actor_id,
                        "contacted": contacted,
                        "resolution": resolution,
                        "satisfaction": satisfaction,
                        "note": step.note,
                        "street_id": row["street_id"],
                    },
                    k,
                )
                row["called_back_at"] = at
                data = {"contacted": contacted, "resolution": resolution, "satisfaction": satisfaction}
            elif step.action == A.COMMENT and step.data.get("contacted_requester"):
                row["responded_at"] = row["responded_at"] or at
                data = {"contacted_requester": True}
            elif step.action == A.VERIFY_PASS:
                row["verified_at"] = at
            elif step.action == A.SUSPEND:
                row["status_before_suspend"] = status
            self.record(k, row, step, target, **data)
        row["updated_at"] = last

    def _unit_step(
        self, k: int, row: dict[str, Any], step: Past, mine: list[dict[str, Any]], actor_id: int | None
    ) -> None:
        """Sign or report back: the lead's assignment, or each co-handler's (a row each)."""
        wanted = _UNIT_NEEDS[step.action]
        held = [a for a in mine if a["role"] == step.role and a["status"] == wanted]
        if not held:
            raise ValueError(f"{row['number']}: no {step.role} assignment to {step.action}")
        lead = step.role == AssignmentRole.LEAD
        for a in held:
            if step.action == A.SIGN:
                a.update(status=AssignmentStatus.SIGNED, signed_at=step.at, signed_by_id=actor_id)
                row["responded_at"] = row["responded_at"] or step.at
            else:
                a.update(status=AssignmentStatus.HANDLED, handled_at=step.at, feedback=step.note)
                if lead:
                    row["handled_at"], row["resolution_note"] = step.at, step.note
            self.record(
                k, row, step, _LEAD_TARGETS[step.action] if lead else row["status"], unit_id=a["unit_id"]
            )


def _write(
    valid: list[_Valid], via: str, intake: Intake, actor: Any, histories: Sequence[Sequence[Past]] | None
) -> list[Created]:
    now = clock.now()
    received = [v.data.received_at or now for v in valid]
    numbers = _reserve_numbers(valid, received)
    routes = intake.route_all(valid)
    cases = _Rows(Case, now)
    logged = _Rows(Event, now)
    timeline = _Rows(CaseEvent, now)
    history = _History(logged, timeline, now, intake) if histories is not None else None
    label = actions.actor_label(actor)
    version = Case._meta.get_field("version").get_default()
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None

    # Everything that may query the database (the calendar's holidays, labels) before the COPY
    # starts: build() runs while the connection is busy with it.
    dues = [
        intake.deadlines.compute(
            at,
            v.data.request_type,
            v.category,
            v.data.urgency,
            v.location.street.id,  # type: ignore[union-attr]
        )
        for v, at in zip(valid, received, strict=True)
    ]
    addresses = [
        (v.data.address or "").strip() or (str(v.place.building) if v.place.building else "") for v in valid
    ]
    if history is not None:
        # The callback limits of the cases that close (the calendar, read before the COPY).
        for v, steps in ((v, histories[v.index]) for v in valid):  # type: ignore[index]
            for step in steps:
                if step.action == A.CLOSE:
                    intake.callback_due(step.at, v.location.street.id)  # type: ignore[union-attr]

    def build() -> Iterator[dict[str, Any]]:
        for k, (v, at, number, proposal, due, address) in enumerate(
            zip(valid, received, numbers, routes, dues, addresses, strict=True)
        ):
            data, place = v.data, v.place
            street_id = place.location.street.id  # type: ignore[union-attr]
            row = {
                "number": number,
                "version": version,
                "status": CaseStatus.NEW,
                "request_type": data.request_type,
                "category_id": v.category.pk,
                "title": (data.title or data.description).strip()[:100],
                "description": data.description.strip(),
                "channel": data.channel,
                "urgency": data.urgency,
                "lon": place.lon,
                "lat": place.lat,
                "address": address,
                "building_id": place.building.pk if place.building else None,
                **place.area_ids(),
                "place_status": place.place_status,
                "grid_conflict": place.grid_conflict,
                "reporter_name": (data.reporter_name or "").strip(),
                "reporter_phone": (data.reporter_phone or "").strip(),
                "reporter_anonymous": bool(data.reporter_anonymous),
                "created_by_id": actor_id,
                "source": data.source,
                "external_id": data.external_id or None,
                "source_fingerprint": v.fingerprint,
                "lead_unit_id": proposal[0] if proposal else None,
                "received_at": at,
                "response_due_at": due.response_due_at,
                "handling_due_at": due.handling_due_at,
                "responded_at": None,
                "closed_at": None,
            }
            # A case with a history was registered at its receipt (else: now, by this import).
            registered = now if history is None else at
            logged.add(
                events.row(
                    "cases",
                    "case",
                    None,
                    CaseAction.CREATE,
                    actor=actor,
                    street_id=street_id,
                    version=version,
                    at=registered,
                ),
                k,
            )
            timeline.add(
                {
                    "at": registered,
                    "actor_id": actor_id,
                    "actor_label": label,
                    "action": CaseAction.CREATE,
                    "from_status": "",
                    "to_status": CaseStatus.NEW,
                    # The same note as create_case, a message id shown in the reader's language.
                    "note": actions.intake.CREATED_NOTE,
                    "data": {
                        "note_params": {"channel": data.channel},
                        "via": via,
                        "routed_to": proposal[1] if proposal else None,
                        "co_units": proposal[2] if proposal else [],
                    },
                    "street_id": street_id,
                },
                k,
            )
            if history is not None:
                history.play(k, row, histories[v.index], proposal)  # type: ignore[index]
            cases.add(row, k)
            yield row

    children = [] if history is None else [history.assignments, history.callbacks]
    postgres = connection.vendor == "postgresql"
    # wrap_database_errors: the driver's errors from the raw writes as Django's (IntegrityError).
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor if postgres else cursor  # COPY needs psycopg's own cursor
        if postgres:
            # Foreign keys checked row by row during the COPY, while Python builds the next
            # rows, instead of all at COMMIT (measured: ~25 µs per case less).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        (case_ids,) = _next_ids(cursor, (Case,), len(valid))
        cases.write(raw, case_ids, build())
        # build() has run: the events (one per case without a history) are all known now.
        event_ids, timeline_ids = _next_ids(cursor, (Event, CaseEvent), len(logged.rows))
        logged.link("object_id", case_ids)
        logged.write(raw, event_ids)
        timeline.link("case_id", case_ids)
        _link(timeline.rows, "event_id", event_ids)
        timeline.write(raw, timeline_ids)
        for rows in children:
            if rows.rows:
                rows.link("case_id", case_ids)
                rows.write(raw, _next_ids(cursor, (rows.model,), len(rows.rows))[0])
        if postgres:
            # Django declares its foreign keys DEFERRABLE INITIALLY DEFERRED: back to that for
            # the rest of an enclosing transaction (a test's, a caller's).
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    # One kick for the chunk, after its commit: the consumers (webhooks) read the events.
    events.kick_on_commit()
    return [
        Created(pk, row["number"], row["external_id"]) for pk, row in zip(case_ids, cases.rows, strict=True)
    ]


def refused(exc: DataError) -> InvalidInput:
    """A row the database will not store is that row's error, never the end of the import."""
    return InvalidInput(f"数据库拒绝保存此行：{exc}", {})


def create_cases_bulk(
    items: Sequence[BulkItem],
    *,
    via: str = "import",
    intake: Intake | None = None,
    actor: Any = None,
    histories: Sequence[Sequence[Past]] | None = None,
) -> list[Outcome]:
    """Create a case per (input, fingerprint), in one transaction; the answer is aligned with
    `items`: Created, or the CaseError the row would get from create_case. If the chunk hits
    a unique violation (another import wrote the same 工单编号 meanwhile), it is redone row
    by row with create_case, which reports those rows as Conflict; so is a chunk the database
    refuses a value of (DataError), that row failing alone. With `histories` (aligned with
    `items`) there is no such redo: the error is raised."""
    if not items:
        return []
    intake = intake or Intake()
    out: list[Outcome | None] = [None] * len(items)
    valid, errors = _validate(items, intake, user_scope(actor))
    for i, exc in errors.items():
        out[i] = exc
    try:
        with transaction.atomic():
            created = _write(valid, via, intake, actor, histories)
    except (IntegrityError, DataError):
        if histories is not None:
            raise
        for v in valid:
            try:
                one = actions.create_case(
                    v.data,
                    actor,
                    fingerprint=v.fingerprint,
                    via=via,
                    find_duplicates=False,
                    in_own_street=True,
                    tell_reporter=False,
                )
                out[v.index] = Created(one.pk, one.number, one.external_id)
            except CaseError as exc:
                out[v.index] = exc
            except DataError as exc:
                out[v.index] = refused(exc)
        return [o for o in out if o is not None]
    for v, case in zip(valid, created, strict=True):
        out[v.index] = case
    return [o for o in out if o is not None]
