"""Dashboards at city scale: the metrics API, the workbench queues and a grid's case list over
millions of cases, against one full scan of the cases table.

Data: `streets` generated streets (in a new district, 8 residential areas × 4 grids each: the
street's rectangle cut into rectangles), 3 units per street, the category tree of the migration;
`cases` cases received uniformly over `years` years up to now, each at a point inside its grid
with one of 30 addresses of the grid, COPYed (psycopg 3 `cursor.copy`, rows from a
generator) straight into the real tables with their CREATE event, a second timeline event
for every case that moved on, and callbacks for closed cases. State mix: ~70 % closed (some
late, ~3 % overdue-flagged), the rest spread over every other state, ~2 % merged children,
80 % of closed cases called back (10 % not reached, 5 % called twice). Then `VACUUM ANALYZE`
and `refresh_rollups --full` (timed; it also fills the per-day DayRollup), a few actions
through cases.actions and an incremental refresh (timed).

Timed (`repeat` times each, p50/p95/max), through Django's test Client in this process
(URL routing, middleware, authentication, rendering — no HTTP socket):

- metrics API: `GET /api/v1/insights/metrics` city-wide (a superuser) by street and by
  category, a street leader by grid, and the leader-facing default period (this year);
- workbench: `GET /cases/` as a street's dispatcher (queue counts + first page of "new"),
  and the "overdue" queue (sorted by handling deadline);
- a grid's case list: `GET /api/v1/cases?grid=<code>` (first page of 50, with its count);
- the operations dashboard: each panel of insights.dashboard.panels.PANELS
  (`GET /dashboard/panels/<name>/`) and the map's `grids.json` / `points.json`, with the
  dashboard's default filter (this month), as the street leader and as a superuser (city-wide).
  A panel not registered, a URL not routed or a panel the leader may not see is skipped, with
  the reason among the notes.

Baseline: one full scan of the cases table, `SELECT count(*) FROM cases_case WHERE
description LIKE '%<no such text>%'` (a leading wildcard: no index can serve it; PostgreSQL
runs a (parallel) sequential scan), median of 3. Target per figure: p95 < 200 ms and
p95 < 5 % of the full scan. Agreement: the rollup figures equal cases.metrics computed
live (city-wide, by street) and the cases table holds exactly the generated cases.
"""

import contextlib
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from .common import Figure, Result, Target, peak_rss_mb

TARGET_MS = 200.0
TARGET_SHARE = 0.05
STATES = (  # (status, weight) of the generated cases
    ("closed", 70),
    ("new", 2),
    ("filed", 3),
    ("dispatched", 4),
    ("in_progress", 6),
    ("handled", 3),
    ("verified", 2),
    ("rejected", 3),
    ("returned", 1),
    ("suspended", 1),
    ("reopened", 1),
    ("merged", 2),
)
# Columns × rows: a street's rectangle holds 4 × 2 residential areas, each 2 × 2 grids.
RESIDENTIAL_LAYOUT = (4, 2)
GRID_LAYOUT = (2, 2)
RESIDENTIAL_PER_STREET = RESIDENTIAL_LAYOUT[0] * RESIDENTIAL_LAYOUT[1]
BUILDINGS_PER_GRID = 30  # distinct addresses per grid: repeated addresses for the hotspots
UNITS_PER_STREET = 3
CASE_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "number",
    "version",
    "status",
    "request_type",
    "category_id",
    "title",
    "description",
    "channel",
    "urgency",
    "lon",
    "lat",
    "address",
    "street_id",
    "residential_area_id",
    "grid_id",
    "reporter_name",
    "reporter_phone",
    "reporter_anonymous",
    "source",
    "source_fingerprint",
    "lead_unit_id",
    "master_id",
    "status_before_suspend",
    "escalation_level",
    "dispute_level",
    "received_at",
    "response_due_at",
    "handling_due_at",
    "responded_at",
    "handled_at",
    "verified_at",
    "closed_at",
    "callback_due_at",
    "called_back_at",
    "is_overdue",
    "overdue_at",
    "resolution_note",
    # Fields whose defaults live in Django, not in the database: COPY names them.
    "place_status",
    "grid_conflict",
    "public_result",
    "link_version",
)
EVENT_COLUMNS = (
    "case_id",
    "at",
    "actor_label",
    "action",
    "from_status",
    "to_status",
    "note",
    "data",
    "street_id",
)
CALLBACK_COLUMNS = (
    "case_id",
    "at",
    "contacted",
    "resolution",
    "satisfaction",
    "note",
    "street_id",
    "by_resident",
)


# ---------------------------------------------------------------------------- geography


class City:
    """The generated streets with their residential areas, grids and units (ids only)."""

    def __init__(self, streets: int) -> None:
        from django.db.models import F

        from civicgrid.geo.choices import AreaKind
        from civicgrid.geo.models import Area
        from civicgrid.orgs.choices import UnitKind
        from civicgrid.orgs.models import Unit

        def box(x0: float, y0: float, w: float, h: float) -> dict[str, Any]:
            ring = [[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]
            return {"type": "Polygon", "coordinates": [ring]}

        district = Area(
            kind=AreaKind.DISTRICT, code="990100", name="基准测试区", geometry=box(100, 20, 20, 20)
        )
        district.save()
        street_rows = []
        for s in range(streets):
            x, y = 100 + (s % 20) * 0.1, 20 + (s // 20) * 0.1
            code = f"990100{s + 1:03d}"
            street_rows.append(
                Area(
                    kind=AreaKind.STREET,
                    code=code,
                    name=f"基准街道{s + 1}",
                    parent=district,
                    path=f"{district.path}{code}/",
                    geometry=box(x, y, 0.1, 0.1),
                )
            )
        made = Area.objects.bulk_create(street_rows)
        Area.objects.filter(pk__in=[a.pk for a in made]).update(street_id=F("pk"))
        self.streets: list[int] = [a.pk for a in made]
        self.street_codes = {a.pk: a.code for a in made}

        def children(
            parents: list[Any], kind: str, layout: tuple[int, int], digits: int, label: str
        ) -> list[Any]:
            """The parent's rectangle cut into `layout` (columns × rows) areas of `kind`, coded
            parent code + a serial: each area lies inside its parent and touches no other."""
            cols, nrows = layout
            rows = []
            for parent in parents:
                (x0, y0), (x1, _), (_, y1) = parent.geometry["coordinates"][0][:3]
                w, h = (x1 - x0) / cols, (y1 - y0) / nrows
                for n in range(1, cols * nrows + 1):
                    code = f"{parent.code}{n:0{digits}d}"
                    rows.append(
                        Area(
                            kind=kind,
                            code=code,
                            name=f"{parent.name}{label}{n}",
                            parent=parent,
                            street_id=parent.street_id or parent.pk,
                            path=f"{parent.path}{code}/",
                            geometry=box(x0 + (n - 1) % cols * w, y0 + (n - 1) // cols * h, w, h),
                        )
                    )
            return Area.objects.bulk_create(rows, batch_size=2000)

        residential = children(made, AreaKind.RESIDENTIAL, RESIDENTIAL_LAYOUT, 3, "居民区")
        grids = children(residential, AreaKind.GRID, GRID_LAYOUT, 2, "网格")
        # street → [(residential area, grid)]
        self.places: dict[int, list[tuple[int, int]]] = {s: [] for s in self.streets}
        for grid in grids:
            self.places[grid.street_id].append((grid.parent_id, grid.pk))
        self.grid_codes = {g.pk: g.code for g in grids}
        self.grid_names = {g.pk: g.name for g in grids}
        # grid → (west, south, width, height): the cases of a grid lie inside it
        self.grid_boxes = {
            g.pk: (ring[0][0], ring[0][1], ring[1][0] - ring[0][0], ring[2][1] - ring[0][1])
            for g in grids
            for ring in g.geometry["coordinates"]
        }
        units = [
            Unit(
                kind=UnitKind.URBAN_MANAGEMENT,
                code=f"B-{self.street_codes[s]}-{u}",
                name=f"基准单位{self.street_codes[s]}-{u}",
                district=district,
                street_id=s,
            )
            for s in self.streets
            for u in range(UNITS_PER_STREET)
        ]
        units = Unit.objects.bulk_create(units, batch_size=2000)
        self.units: dict[int, list[int]] = {s: [] for s in self.streets}
        for unit in units:
            assert unit.street_id is not None  # every unit above is made in a street
            self.units[unit.street_id].append(unit.pk)
        self.district = district


# ---------------------------------------------------------------------------- rows


def _categories() -> list[tuple[int, str]]:
    from civicgrid.cases.models import Category

    return list(
        Category.objects.filter(children__isnull=True, is_active=True)
        .values_list("pk", "code")
        .order_by("code")
    )


def generate(
    city: City,
    cases: int,
    years: float,
    seed: int,
    now: datetime,
    first_id: int,
    categories: list[tuple[int, str]],
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """(case row, its event rows, its callback rows), one case at a time."""
    rng = random.Random(seed)
    categories = list(categories)
    statuses = [s for s, w in STATES for _ in range(w)]
    span = years * 365 * 86400
    start = now - timedelta(seconds=span)
    last_open: dict[int, int] = {}  # street → an earlier case id to merge into
    for n in range(cases):
        pk = first_id + n
        street = city.streets[n % len(city.streets)]
        ra, grid = rng.choice(city.places[street])
        category, code = rng.choice(categories)
        west, south, width, height = city.grid_boxes[grid]
        lon, lat = west + rng.random() * width, south + rng.random() * height
        address = f"{city.grid_names[grid]}{rng.randint(1, BUILDINGS_PER_GRID)}号楼"
        # Uniform over the period, in order of id (as cases arrive).
        received = start + timedelta(seconds=span * (n + rng.random()) / cases)
        status = rng.choice(statuses)
        response_due = received + timedelta(days=1)
        handling_due = received + timedelta(days=rng.choice((3, 5, 7)))
        responded = handled = verified = closed = callback_due = overdue_at = None
        is_overdue = False
        master = None
        lead = rng.choice(city.units[street]) if status not in ("new", "filed", "rejected") else None
        age = (now - received).total_seconds()
        if status not in ("new", "filed", "rejected", "merged"):
            responded = received + timedelta(hours=rng.choice((1, 4, 20, 30)))
            if responded > now:
                responded = None
        if status in ("handled", "verified", "closed"):
            handled = min(now, received + timedelta(days=rng.uniform(0.5, 8)))
        if status in ("verified", "closed"):
            verified = handled
        if status == "closed":
            closed = verified
            callback_due = closed + timedelta(days=3) if closed else None
        if status == "rejected":
            closed = received + timedelta(hours=2)
        if status == "merged" and street in last_open:
            master = last_open[street]
        elif status == "merged":
            status = "filed"
        stuck = status in ("dispatched", "in_progress", "handled", "reopened", "suspended")
        if stuck and age > 8 * 86400 and rng.random() < 0.5:
            is_overdue, overdue_at = True, handling_due
        if status == "closed" and closed and closed > handling_due and rng.random() < 0.3:
            is_overdue, overdue_at = True, handling_due
        if status in ("filed", "dispatched"):
            last_open[street] = pk
        callbacks = []
        if status == "closed" and closed is not None and rng.random() < 0.8:
            for k in range(2 if rng.random() < 0.05 else 1):
                contacted = rng.random() >= 0.1
                callbacks.append(
                    (
                        pk,
                        closed + timedelta(days=1 + k),
                        contacted,
                        rng.choice(("resolved", "resolved", "partly", "unresolved")) if contacted else "",
                        rng.choice(("satisfied", "satisfied", "basically", "unsatisfied"))
                        if contacted
                        else "",
                        "",
                        street,
                        False,  # the desk's phone callback
                    )
                )
        called_back = max((c[1] for c in callbacks), default=None)
        row = (
            pk,
            received,
            closed or received,
            f"B{city.street_codes[street]}-{pk:010d}",
            2,
            status,
            "complaint",
            category,
            f"基准工单 {code}",
            f"基准工单 {code} 第 {pk} 号",
            "hotline",
            "normal",
            lon,
            lat,
            address,
            street,
            ra,
            grid,
            "",
            "",
            False,
            "",
            "",
            lead,
            master,
            "filed" if status == "suspended" else "",
            "community",
            "request",
            received,
            response_due,
            handling_due,
            responded,
            handled,
            verified,
            closed,
            callback_due,
            called_back,
            is_overdue,
            overdue_at,
            "",
            "located",
            False,
            "",
            1,
        )
        events = [(pk, received, "系统", "create", "", "new", "", "{}", street)]
        if status != "new":
            events.append(
                (
                    pk,
                    closed or handled or responded or received,
                    "系统",
                    "comment",
                    "",
                    status,
                    "",
                    "{}",
                    street,
                )
            )
        yield row, events, callbacks


def load(city: City, cases: int, years: float, seed: int, now: datetime) -> dict[str, float]:
    """COPY the generated rows: cases first (in one COPY), then events and callbacks."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
        first_id = int(cursor.fetchone()[0]) + 1
    counts = {"events": 0, "callbacks": 0}
    categories = _categories()  # before the COPY: the connection is busy during it
    dropped = _drop_indexes()
    started = time.perf_counter()
    # Events and callbacks wait in temporary files so that memory stays flat.
    import tempfile

    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as events_file,
        tempfile.TemporaryFile("w+", encoding="utf-8") as callbacks_file,
        connection.cursor() as cursor,
    ):
        raw = cursor.cursor
        with raw.copy(f"COPY cases_case ({', '.join(CASE_COLUMNS)}) FROM STDIN") as copy:
            for row, events, callbacks in generate(city, cases, years, seed, now, first_id, categories):
                copy.write_row(row)
                for event in events:
                    events_file.write(_tsv(event))
                for callback in callbacks:
                    callbacks_file.write(_tsv(callback))
                counts["events"] += len(events)
                counts["callbacks"] += len(callbacks)
        for handle, table, columns in (
            (events_file, "cases_caseevent", EVENT_COLUMNS),
            (callbacks_file, "cases_callback", CALLBACK_COLUMNS),
        ):
            handle.seek(0)
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                while block := handle.read(1 << 20):
                    copy.write(block)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT MAX(id) FROM cases_case))"
        )
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for _name, definition in dropped:
            cursor.execute(definition)
        cursor.execute("SET session_replication_role = DEFAULT")
    index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    return {
        **counts,
        "copy_seconds": seconds,
        "indexes": len(dropped),
        "index_seconds": index_seconds,
        "vacuum_seconds": time.perf_counter() - started,
    }


LOADED_TABLES = ("cases_case", "cases_caseevent", "cases_callback")


def _drop_indexes() -> list[tuple[str, str]]:
    """Drop the secondary indexes of the loaded tables (those not backing a constraint) and
    skip foreign-key triggers for this session: a bulk load then writes only the heap, and
    each index is built once, sorted, afterwards (PostgreSQL's own advice for a first load).
    The generated rows reference only rows that exist. Returns (name, CREATE INDEX) to run."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [list(LOADED_TABLES)],
        )
        dropped = [(name, definition) for name, definition in cursor.fetchall()]
        for name, _definition in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
        # Needs a superuser (the benchmark's throwaway database is created by one); without it
        # the foreign keys are simply checked during the COPY (autocommit: nothing to undo).
        with contextlib.suppress(DatabaseError):
            cursor.execute("SET session_replication_role = replica")
    return dropped


def _tsv(values: tuple[Any, ...]) -> str:
    def cell(v: Any) -> str:
        if v is None:
            return "\\N"
        if isinstance(v, bool):
            return "t" if v else "f"
        if isinstance(v, datetime):
            return v.isoformat()
        return str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")

    return "\t".join(cell(v) for v in values) + "\n"


# ---------------------------------------------------------------------------- timing


def _percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def _time(fn: Any, repeat: int) -> list[float]:
    fn()  # warm-up: first-use imports, template loading
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def full_scan_ms() -> float:
    from django.db import connection

    samples = []
    with connection.cursor() as cursor:
        for _ in range(3):
            started = time.perf_counter()
            cursor.execute("SELECT count(*) FROM cases_case WHERE description LIKE %s", ["%没有这段文字%"])
            cursor.fetchone()
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _get(client: Any, path: str, headers: dict[str, str] | None = None, **params: Any) -> Callable[[], None]:
    """A call of GET `path` that fails loudly unless it answers 200 (a timed 404 would flatter)."""

    def call() -> None:
        response = client.get(path, params, **(headers or {}))
        if response.status_code != 200:
            raise RuntimeError(f"{path} {params}: HTTP {response.status_code} {response.content[:200]!r}")

    return call


def measure(result: Result, label: str, call: Callable[[], None], repeat: int, scan: float) -> float:
    """Time `call`, add its figure (p50 / p95 / max) and its target (p95 under TARGET_MS and
    under TARGET_SHARE of the full scan `scan`) to `result`; returns p95 / scan."""
    samples = _time(call, repeat)
    p50, p95, top = _percentile(samples, 50), _percentile(samples, 95), max(samples)
    share = p95 / scan if scan else 0.0
    result.figures.append(Figure(f"{label}: p50 {p50:.1f} / p95 {p95:.1f} / max {top:.1f} ms", p95, "ms p95"))
    result.targets.append(
        Target(
            f"{label}: p95 {p95:.1f} ms < {TARGET_MS:.0f} ms"
            f" and {share:.1%} of the full scan < {TARGET_SHARE:.0%}",
            p95 < TARGET_MS and share < TARGET_SHARE,
        )
    )
    return share


# The dashboard's panels (insights.dashboard.panels.PANELS, registered by the dashboard) and the
# map's JSON (URL names): the benchmark times these, and any other registered panel after them.
PANEL_NAMES = ("rates", "intake", "categories", "units", "grids", "overdue", "feed", "inspections", "care")
MAP_URLS = ("insights:map_grids", "insights:map_points")
# Who reads the dashboard: a street leader (one street) and a superuser (city-wide), keys of _users().
READERS = (("street leader", "leader"), ("city-wide", "city"))


def dashboard_requests(
    users: dict[str, Any], query: dict[str, str] | None = None
) -> tuple[list[tuple[str, Callable[[], None]]], list[str]]:
    """The GETs of the dashboard's panels (`insights:panel`) and map data, as each reader of
    READERS, with the dashboard's `query` (its defaults when empty): (label, call) to time, and
    why anything expected is not timed (a panel not registered, a URL not routed, a reader
    without the panel's capability — the panel would answer 404)."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from civicgrid.core.capabilities import may
    from civicgrid.insights.dashboard import panels

    query = query or {}
    clients = {}
    for reader, key in READERS:
        clients[reader] = Client(HTTP_HOST="localhost")
        clients[reader].force_login(users[key])
    calls: list[tuple[str, Callable[[], None]]] = []
    skipped: list[str] = []
    names = [*PANEL_NAMES, *(name for name in panels.PANELS if name not in PANEL_NAMES)]
    for name in names:
        panel = panels.PANELS.get(name)
        if panel is None:
            skipped.append(f"panel {name}: skipped, not registered in insights.dashboard.panels.PANELS")
            continue
        try:
            path = reverse("insights:panel", kwargs={"name": name})
        except NoReverseMatch:
            skipped.append(f"panel {name}: skipped, the URL insights:panel is not routed")
            continue
        for reader, key in READERS:
            if panel.capability and not may(users[key], panel.capability):
                skipped.append(f"panel {name}, {reader}: skipped, the reader lacks {panel.capability}")
                continue
            calls.append((f"panel {name}, {reader}", _get(clients[reader], path, None, **query)))
    for url_name in MAP_URLS:
        try:
            path = reverse(url_name)
        except NoReverseMatch:
            skipped.append(f"map {url_name}: skipped, the URL is not routed")
            continue
        for reader, _key in READERS:
            calls.append((f"map {url_name}, {reader}", _get(clients[reader], path, None, **query)))
    return calls, skipped


def _users(city: City) -> dict[str, Any]:
    from civicgrid.accounts.models import Membership, User
    from civicgrid.core.choices import Role

    street = city.streets[0]
    out = {
        "city": User.objects.create(
            username="bench-city", role=Role.ADMIN, is_superuser=True, full_name="市级"
        )
    }
    for role in (Role.LEADER, Role.DISPATCHER):
        user = User.objects.create(username=f"bench-{role}", role=role, full_name=f"基准{role}")
        Membership.objects.create(user=user, area_id=street)
        out[role] = user
    return out


def _some_actions(city: City, users: dict[str, Any], n: int, seed: int) -> None:
    """Changes through cases.actions, so the incremental refresh has events to roll up."""
    from civicgrid.cases import actions
    from civicgrid.cases.models import Case

    rng = random.Random(seed)
    ids = list(Case.objects.filter(street_id=city.streets[0]).values_list("pk", flat=True)[:5000])
    for pk in rng.sample(ids, min(n, len(ids))):
        actions.run_action(
            pk, "comment", users["dispatcher"], {"note": "基准测试备注", "contacted_requester": True}
        )


def run(
    cases: int = 200_000, streets: int = 200, years: float = 3.0, seed: int = 1, repeat: int = 20
) -> Result:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from civicgrid.accounts.tokens import issue
    from civicgrid.cases import metrics as live
    from civicgrid.cases.models import Case
    from civicgrid.core.choices import Role
    from civicgrid.insights import metrics as insights
    from civicgrid.insights import rollups

    if connection.vendor != "postgresql":
        raise RuntimeError("the dashboard benchmark loads its data with PostgreSQL COPY")
    result = Result("dashboard", f"{cases:,} cases, {streets} streets, {years:g} years, PostgreSQL")
    now = timezone.now()
    started = time.perf_counter()
    city = City(streets)
    geo_seconds = time.perf_counter() - started
    loaded = load(city, cases, years, seed, now)
    result.figures += [
        Figure(
            "streets / residential areas / grids",
            streets,
            f"/ {streets * RESIDENTIAL_PER_STREET} / {len(city.grid_codes)}",
        ),
        Figure("geography generated", geo_seconds, "s"),
        Figure("cases COPYed", cases),
        Figure("events COPYed", loaded["events"]),
        Figure("callbacks COPYed", loaded["callbacks"]),
        Figure("COPY (cases + events + callbacks)", loaded["copy_seconds"], "s"),
        Figure("COPY rate", cases / loaded["copy_seconds"], "cases/s"),
        Figure(
            f"secondary indexes re-created after the COPY ({loaded['indexes']})", loaded["index_seconds"], "s"
        ),
        Figure("VACUUM ANALYZE", loaded["vacuum_seconds"], "s"),
    ]
    full = rollups.refresh(full=True)
    from civicgrid.insights.models import CaseRollup

    result.figures += [
        Figure("refresh_rollups --full", full.seconds, "s"),
        Figure("rollup rows", CaseRollup.objects.count()),
    ]
    users = _users(city)
    _some_actions(city, users, 50, seed)
    incremental = rollups.refresh()
    result.figures += [
        Figure(
            f"refresh_rollups incremental ({incremental.events} new events)", incremental.seconds * 1000, "ms"
        ),
    ]

    scan = full_scan_ms()
    result.figures.append(Figure("baseline: full scan of cases_case", scan, "ms"))
    # The timings share the machine: a load above its core count means the requests waited for a CPU.
    load_before = os.getloadavg()[0]

    api = Client(HTTP_HOST="localhost")
    tokens = {name: {"HTTP_AUTHORIZATION": f"Bearer {issue(user).key}"} for name, user in users.items()}
    street_code = city.street_codes[city.streets[0]]
    grid_code = city.grid_codes[city.places[city.streets[0]][0][1]]
    today = timezone.localdate()
    web = Client(HTTP_HOST="localhost")
    web.force_login(users[Role.DISPATCHER])

    timed = [
        ("metrics API, city-wide by street", _get(api, "/api/v1/insights/metrics", tokens["city"])),
        (
            "metrics API, city-wide by category",
            _get(api, "/api/v1/insights/metrics", tokens["city"], group_by="category"),
        ),
        (
            "metrics API, street leader by grid",
            _get(api, "/api/v1/insights/metrics", tokens[Role.LEADER], group_by="grid"),
        ),
        (
            "metrics API, street leader, this year (metrics page default)",
            _get(
                api,
                "/api/v1/insights/metrics",
                tokens[Role.LEADER],
                **{"from": today.replace(month=1, day=1).isoformat(), "to": today.isoformat()},
            ),
        ),
        ("workbench of one street (counts + first page of 新)", _get(web, "/cases/")),
        ("workbench, overdue queue", _get(web, "/cases/", queue="overdue")),
        ("grid case list, first page", _get(api, "/api/v1/cases", tokens[Role.DISPATCHER], grid=grid_code)),
    ]
    worst = max(measure(result, label, call, repeat, scan) for label, call in timed)
    panel_calls, skipped = dashboard_requests(users)
    result.notes += skipped  # printed with the result
    if panel_calls:
        panel_worst = max(measure(result, label, call, repeat, scan) for label, call in panel_calls)
        result.figures.append(
            Figure("dashboard panels and map data: worst p95 / full scan", panel_worst * 100, "%")
        )
        worst = max(worst, panel_worst)
    result.ratio, result.ratio_label = worst, "worst p95 / full scan"
    result.notes.append(
        f"load average (1 min) {load_before:.1f} before the timings, {os.getloadavg()[0]:.1f} after,"
        f" on {os.cpu_count()} CPUs"
    )

    # Agreement: the rollups against cases.metrics computed live (one run: a long query).
    city_user = users["city"]
    started = time.perf_counter()
    expected = live.compute(city_user, group_by="street", now=now)
    live_ms = (time.perf_counter() - started) * 1000
    got = insights.compute(city_user, group_by="street", now=now)
    result.figures.append(
        Figure("for comparison: cases.metrics live, city-wide by street (once)", live_ms, "ms")
    )
    generated = Case.objects.filter(street_id__in=city.streets).count()
    result.agree = got == expected and generated == cases
    if got != expected:
        result.notes.append("rollup figures differ from cases.metrics")
    if generated != cases:
        result.notes.append(f"{generated} cases in the table, {cases} generated")
    result.figures.append(Figure("peak RSS", peak_rss_mb(), "MB"))
    result.notes.append(
        f"timed through django.test.Client in-process, {repeat} runs each after one warm-up; "
        f"street {street_code}, grid {grid_code}"
    )
    return result
