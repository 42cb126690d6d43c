"""12345 import: a generated hotline export through the full pipeline.

Measured: civicgrid.cases.intake.hotline.import_file (parsing, validation, locate, routing,
deadlines, case number, timeline event; CIVICGRID_IMPORT_BATCH_ROWS rows per transaction).
Baseline: PostgreSQL COPY of the same file into a bare typed table (on SQLite, which has
no COPY, a single-transaction executemany INSERT, labelled as such).

The file is written and read as a stream, so `rows=1_000_000` works in flat memory; peak
RSS is the process's high-water mark (run each benchmark in its own process, as run.py does).
"""

import cProfile
import csv
import io
import pstats
import random
import secrets
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .common import Figure, Result, Target, Timer, current_rss_mb, peak_rss_mb, rate

TARGET_ORDERS_PER_S = 20_000
TARGET_RATIO = 0.15
TARGET_PEAK_MB = 300
TARGET_PEAK_ROWS = 1_000_000
TZ = ZoneInfo("Asia/Shanghai")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
COMPLAINTS = (
    "居民反映{cat}问题，已持续多日，希望尽快处理。",
    "来电人称{cat}，影响正常生活，要求相关部门到场核实。",
    "市民反映小区内{cat}，此前已向物业反映未果。",
    "{cat}，夜间尤为明显，请求协调解决。",
    "来电反映{cat}情况，希望有关部门加强管理并回复处理结果。",
)
BARE_TABLE = """
    (external_id text, received_at timestamptz, request_type text, category text,
     description text, address text, reporter_name text, reporter_phone text,
     lon double precision, lat double precision, street text)
"""


class Geography:
    """What the generator draws from: demo buildings, grid rectangles, active leaf categories."""

    def __init__(self) -> None:
        from civicgrid.cases.models import Category
        from civicgrid.geo.geometry import parse_polygon
        from civicgrid.geo.models import Area, Building

        self.buildings = list(Building.objects.order_by("pk").values_list("address", "lon", "lat", "grid_id"))
        by_grid: dict[int, list[str]] = {}
        for address, _lon, _lat, grid_id in self.buildings:
            by_grid.setdefault(grid_id, []).append(address)
        self.grids: list[tuple[tuple[float, float, float, float], list[str]]] = [
            (parse_polygon(geometry).bounds, by_grid.get(pk, []))
            for pk, geometry in Area.objects.filter(kind="grid")
            .filter(geometry__isnull=False)
            .order_by("code")
            .values_list("pk", "geometry")
        ]
        parents = set(Category.objects.exclude(parent=None).values_list("parent_id", flat=True))
        leaves = [
            (code, name)
            for pk, code, name in Category.objects.filter(is_active=True)
            .order_by("code")
            .values_list("pk", "code", "name")
            if pk not in parents
        ]
        # A file names the category by code or by name; a name shared by two leaves ("其他")
        # is ambiguous in the import, so those rows use the code.
        names = [name for _code, name in leaves]
        self.categories = [(code, name, names.count(name) == 1) for code, name in leaves]
        if not self.buildings or not self.grids or not self.categories:
            raise RuntimeError("load the demo geography first (load_demo --no-cases)")


def generate_rows(n: int, seed: int = 1, prefix: str = "B") -> Iterator[list[str]]:
    """Header then `n` valid rows: 60 % with coordinates inside a grid (and a building address
    of that grid when it has one), 40 % with a building address only."""
    from civicgrid.cases.choices import RequestType
    from civicgrid.cases.intake.hotline import DEFAULT_HEADERS

    geo = Geography()
    rng = random.Random(seed)
    types = [str(label) for label in RequestType.labels]
    start = datetime.now(TZ).replace(microsecond=0) - timedelta(days=30)
    yield list(DEFAULT_HEADERS.values())
    for i in range(n):
        code, name, unique_name = rng.choice(geo.categories)
        received = start + timedelta(seconds=rng.randrange(30 * 86400))
        if rng.random() < 0.6:
            (x0, y0, x1, y1), addresses = rng.choice(geo.grids)
            lon = f"{x0 + (0.1 + 0.8 * rng.random()) * (x1 - x0):.6f}"
            lat = f"{y0 + (0.1 + 0.8 * rng.random()) * (y1 - y0):.6f}"
            address = rng.choice(addresses) if addresses else "路口附近"
        else:
            address, lon, lat = rng.choice(geo.buildings)[0], "", ""
        yield [
            f"{prefix}{i:09d}",
            received.strftime("%Y-%m-%d %H:%M:%S"),
            rng.choice(types),
            name if unique_name and rng.random() < 0.5 else code,
            rng.choice(COMPLAINTS).format(cat=name),
            address,
            rng.choice(SURNAMES) + rng.choice(("先生", "女士")),
            f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            lon,
            lat,
            "",  # 街道: left empty, as most sheets do (the place decides)
        ]


def write_csv(path: Path, n: int, seed: int = 1, prefix: str = "B") -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(generate_rows(n, seed, prefix))


def copy_baseline(path: Path) -> tuple[int, str]:
    """Load the file into a bare table; returns (rows in the table, method)."""
    from django.db import connection, transaction

    table = f"bench_copy_{secrets.token_hex(4)}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {table} {BARE_TABLE}")
        if connection.vendor == "postgresql":
            method = "PostgreSQL COPY"
            with (
                path.open("rb") as fh,
                cursor.cursor.copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)") as copy,
            ):
                while block := fh.read(1 << 20):
                    copy.write(block)
        else:
            method = "SQLite executemany INSERT (no COPY)"
            with path.open(encoding="utf-8", newline="") as fh:
                reader = csv.reader(fh)
                next(reader)
                sql = f"INSERT INTO {table} VALUES ({', '.join(['%s'] * 11)})"
                batch: list[list[str | None]] = []
                for row in reader:
                    batch.append([v if v != "" else None for v in row])
                    if len(batch) >= 10_000:
                        cursor.executemany(sql, batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
        cursor.execute(f"SELECT count(*) FROM {table}")
        count = int(cursor.fetchone()[0])
        cursor.execute(f"DROP TABLE {table}")
    return count, method


def profile_import(path: Path, top: int = 10) -> str:
    """import_file under cProfile: the top functions by cumulative time."""
    from civicgrid.cases.intake.hotline import import_file

    profiler = cProfile.Profile()
    profiler.runcall(import_file, path)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(top)
    # The same, restricted to the project's own functions: where the pipeline spends it.
    stats.print_stats(r"civicgrid/(?!cases/intake)", top)
    return out.getvalue()


def run(rows: int = 20_000, seed: int = 1, workdir: Path | None = None, profile: bool = False) -> Result:
    from django.db import connection

    from civicgrid.cases.intake.hotline import SOURCE, import_file
    from civicgrid.cases.models import Case, CaseEvent

    prefix = f"B{secrets.token_hex(3).upper()}-"
    with tempfile.TemporaryDirectory(prefix="civicgrid-bench-", dir=workdir) as tmp:
        path = Path(tmp) / "12345.csv"
        with Timer() as t_gen:
            write_csv(path, rows, seed, prefix)
        with Timer() as t_copy:
            copied, method = copy_baseline(path)
        rss_before = current_rss_mb()
        with Timer() as t_import:
            result = import_file(path)
        peak = peak_rss_mb()
        size_mb = path.stat().st_size / 1e6
        profile_text = ""
        if profile:
            # A separate small file of new rows, so the profile shows the creation path.
            extra = Path(tmp) / "profile.csv"
            write_csv(extra, min(rows, 2_000), seed + 1, prefix + "P")
            profile_text = profile_import(extra)

    cases = Case.objects.filter(source=SOURCE, external_id__startswith=prefix).exclude(
        external_id__startswith=prefix + "P"
    )
    stored = cases.count()
    events = CaseEvent.objects.filter(case__in=cases).count()
    orders = rate(result.created, t_import.seconds)
    copy_rate = rate(copied, t_copy.seconds)
    ratio = orders / copy_rate
    notes = [
        f"import result: {result.summary()}",
        f"file {size_mb:.1f} MB, generated in {t_gen.seconds:.1f} s",
    ]
    notes += [str(e) for e in result.errors[:5]]
    if profile_text:
        notes.append(f"cProfile of import_file on {min(rows, 2_000):,} further new rows:\n" + profile_text)
    memory_target = (
        Target(f"peak RSS < {TARGET_PEAK_MB} MB for 1M rows ({peak:.0f} MB)", peak < TARGET_PEAK_MB)
        if rows >= TARGET_PEAK_ROWS
        else Target(f"peak RSS < {TARGET_PEAK_MB} MB for 1M rows: not assessed at {rows:,} rows", None)
    )
    return Result(
        name="12345 import",
        size=f"{rows:,} rows on {connection.vendor}, seed {seed}",
        figures=[
            Figure("import_file", orders, "orders/s"),
            Figure(f"baseline {method}", copy_rate, "rows/s"),
            Figure("import seconds", t_import.seconds, "s"),
            Figure("cases created", float(stored)),
            Figure("timeline events", float(events)),
            Figure("RSS before import", rss_before, "MB"),
            Figure("peak RSS", peak, "MB"),
        ],
        ratio=ratio,
        ratio_label=f"import / {method}",
        targets=[
            Target(f"≥ {TARGET_ORDERS_PER_S:,} orders/s ({orders:,.0f})", orders >= TARGET_ORDERS_PER_S),
            Target(f"≥ {TARGET_RATIO:.0%} of the COPY rate ({ratio:.3%})", ratio >= TARGET_RATIO),
            memory_target,
        ],
        agree=copied == rows
        and stored == rows
        and result.created == rows
        and result.failed == 0
        and events >= rows,
        notes=notes,
    )
