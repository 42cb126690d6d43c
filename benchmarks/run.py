"""`python -m benchmarks.run [locate|import|api|dashboard|intake|sensors] [options]` — run the benchmarks and
print figures.

Without a name every benchmark runs, each in its own process (so that peak RSS is its own).
Databases are throwaway: a temporary SQLite file, or a new PostgreSQL database
civicgrid_bench_<random> on the server of --database-url, migrated and loaded with the demo
geography (load_demo --no-cases), then dropped.
"""

import argparse
import os
import subprocess
import sys
from contextlib import AbstractContextManager

from .common import (
    DEFAULT_PG_URL,
    ROOT,
    _with_dbname,
    machine,
    postgres_reachable,
    prepare_database,
    setup_django,
    throwaway_postgres,
    throwaway_sqlite,
)

NAMES = ("locate", "import", "api", "dashboard", "intake", "sensors")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    p.add_argument("name", nargs="?", choices=NAMES, help="one benchmark (default: all, one process each)")
    p.add_argument("--points", type=int, default=200_000, help="locate: random points (default 200,000)")
    p.add_argument("--subset", type=int, default=20_000, help="locate: points for per-point locate()")
    # Small by default so `make bench` takes a few minutes; the sizes are options.
    p.add_argument("--rows", type=int, default=100_000, help="import: rows in the file (default 100,000)")
    p.add_argument("--seconds", type=float, default=10.0, help="api: seconds per endpoint (default 10)")
    p.add_argument("--clients", type=int, default=8, help="api: client threads (default 8)")
    p.add_argument("--workers", type=int, help="api: gunicorn workers (default 2 × cores)")
    p.add_argument("--seed-cases", type=int, default=300, help="api: cases created first (default 300)")
    p.add_argument("--cases", type=int, default=200_000, help="dashboard: generated cases (default 200,000)")
    p.add_argument("--streets", type=int, default=200, help="dashboard: generated streets (default 200)")
    p.add_argument("--years", type=float, default=3.0, help="dashboard: years of cases (default 3)")
    p.add_argument("--repeat", type=int, default=20, help="dashboard: timed runs per figure (default 20)")
    p.add_argument(
        "--texts", type=int, default=4000, help="intake: demo complaints, 20%% held out (default 4,000)"
    )
    p.add_argument(
        "--readings", type=int, default=50_000, help="sensors: simulated readings published (default 50,000)"
    )
    p.add_argument("--devices", type=int, default=1_000, help="sensors: registered devices (default 1,000)")
    p.add_argument("--batch", type=int, default=1, help="sensors: readings per MQTT message (default 1)")
    p.add_argument(
        "--consumers",
        type=int,
        default=2,
        help="sensors: consumer processes sharing the stream (default 2, one per core; 1: a single one)",
    )
    p.add_argument("--broker", help="sensors: MQTT broker URL (default: a private Mosquitto)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--database-url",
        help="PostgreSQL server for the throwaway database (import default: "
        f"{DEFAULT_PG_URL}; locate and intake default: a temporary SQLite file; sensors default: "
        "the server of CIVICGRID_DATABASE_URL when it is PostgreSQL, else SQLite)",
    )
    p.add_argument("--sqlite", action="store_true", help="import: use a temporary SQLite file instead")
    p.add_argument("--profile", action="store_true", help="import: also print a cProfile of import_file")
    return p


def _database(args: argparse.Namespace) -> tuple[AbstractContextManager[str], str]:
    if args.name == "sensors" and not args.sqlite:
        # Measured on the database the suite runs on: PostgreSQL when CIVICGRID_DATABASE_URL says so.
        configured = os.environ.get("CIVICGRID_DATABASE_URL", "")
        server = args.database_url or (
            _with_dbname(configured, "postgres") if configured.startswith("postgres") else ""
        )
        if server:
            return throwaway_postgres(server), ""
        return (
            throwaway_sqlite(),
            "SQLite (set CIVICGRID_DATABASE_URL to a PostgreSQL server to measure on it)",
        )
    if args.name in ("locate", "intake", "sensors"):
        if args.database_url:
            return throwaway_postgres(args.database_url), ""
        return throwaway_sqlite(), ""
    server = args.database_url or DEFAULT_PG_URL
    if args.sqlite:
        return throwaway_sqlite(), "SQLite requested: the baseline is an executemany INSERT, not COPY"
    if not postgres_reachable(server):
        return throwaway_sqlite(), f"PostgreSQL not reachable at {server}: ran on SQLite instead"
    return throwaway_postgres(server), ""


def run_api(args: argparse.Namespace) -> int:
    """The production profile needs PostgreSQL: without it the API benchmark is skipped."""
    server = args.database_url or DEFAULT_PG_URL
    if args.sqlite or not postgres_reachable(server):
        print(
            "== api: skipped (the production profile needs PostgreSQL: "
            + ("--sqlite given)" if args.sqlite else f"not reachable at {server})"),
            flush=True,
        )
        return 0
    from . import bench_api

    with throwaway_postgres(server) as url:
        print(f"-- api: preparing {url.split('@')[-1]}", file=sys.stderr, flush=True)
        prepare_database(url)
        result = bench_api.run(
            url, seconds=args.seconds, clients=args.clients, workers=args.workers, seed_cases=args.seed_cases
        )
        print(result.render(), flush=True)
    return 0 if result.agree else 1


def run_dashboard(args: argparse.Namespace) -> int:
    """COPY needs PostgreSQL: without it the dashboard benchmark is skipped."""
    server = args.database_url or DEFAULT_PG_URL
    if args.sqlite or not postgres_reachable(server):
        print(
            "== dashboard: skipped (loading by COPY needs PostgreSQL: "
            + ("--sqlite given)" if args.sqlite else f"not reachable at {server})"),
            flush=True,
        )
        return 0
    from . import bench_dashboard

    with throwaway_postgres(server) as url:
        print(f"-- dashboard: preparing {url.split('@')[-1]}", file=sys.stderr, flush=True)
        prepare_database(url)
        setup_django(url)
        result = bench_dashboard.run(
            cases=args.cases, streets=args.streets, years=args.years, seed=args.seed, repeat=args.repeat
        )
        print(result.render(), flush=True)
    return 0 if result.agree else 1


def run_one(args: argparse.Namespace) -> int:
    if args.name == "api":
        return run_api(args)
    if args.name == "dashboard":
        return run_dashboard(args)
    database, note = _database(args)
    with database as url:
        print(f"-- {args.name}: preparing {url.split('@')[-1]}", file=sys.stderr, flush=True)
        prepare_database(url)
        setup_django(url)
        if args.name == "locate":
            from . import bench_locate

            result = bench_locate.run(points=args.points, seed=args.seed, subset=args.subset)
        elif args.name == "sensors":
            from . import bench_sensors

            result = bench_sensors.run(
                readings=args.readings,
                devices=args.devices,
                batch=args.batch,
                consumers=args.consumers,
                url=args.broker or "",
                seed=args.seed,
            )
        elif args.name == "intake":
            from . import bench_intake

            result = bench_intake.run(texts=args.texts, seed=args.seed)
        else:
            from . import bench_import

            result = bench_import.run(rows=args.rows, seed=args.seed, profile=args.profile)
        if note:
            result.notes.insert(0, note)
        print(result.render(), flush=True)
    return 0 if result.agree else 1


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.name:
        return run_one(args)
    print(f"machine: {machine()}", flush=True)
    rest = list(sys.argv[1:] if argv is None else argv)
    status = 0
    for name in NAMES:
        done = subprocess.run([sys.executable, "-m", "benchmarks.run", name, *rest], cwd=ROOT)
        status = status or done.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
