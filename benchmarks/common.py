"""Shared pieces: result objects and their printing, memory figures, throwaway databases."""

import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# The server the throwaway PostgreSQL databases are created on (trust auth on the dev machine).
DEFAULT_PG_URL = os.environ.get("CIVICGRID_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Figure:
    label: str
    value: float
    unit: str = ""

    def __str__(self) -> str:
        value = f"{self.value:,.0f}" if abs(self.value) >= 100 else f"{self.value:,.3g}"
        return f"{self.label}: {value}{' ' + self.unit if self.unit else ''}"


@dataclass(frozen=True)
class Target:
    description: str
    met: bool | None  # None: not assessed at this size

    def __str__(self) -> str:
        verdict = "n/a " if self.met is None else "PASS" if self.met else "MISS"
        return f"{verdict}  {self.description}"


@dataclass
class Result:
    name: str
    size: str
    figures: list[Figure] = field(default_factory=list)
    ratio: float = 0.0  # measured rate / baseline rate
    ratio_label: str = ""
    targets: list[Target] = field(default_factory=list)
    agree: bool = False  # the measured path and the baseline gave the same answer
    notes: list[str] = field(default_factory=list)

    def figure(self, label: str) -> float:
        return next(f.value for f in self.figures if f.label == label)

    def render(self) -> str:
        lines = [f"== {self.name} ({self.size})"]
        lines += [f"   {f}" for f in self.figures]
        lines.append(
            f"   ratio {self.ratio_label}: {self.ratio:.1%}"
            if self.ratio >= 0.01
            else f"   ratio {self.ratio_label}: {self.ratio:.3%}"
        )
        lines.append(f"   results agree with the baseline: {'yes' if self.agree else 'NO'}")
        lines += [f"   {t}" for t in self.targets]
        lines += [f"   note: {n}" for n in self.notes]
        return "\n".join(lines)


class Timer:
    def __enter__(self) -> "Timer":
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def peak_rss_mb() -> float:
    """The process's high-water mark (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


# ---------------------------------------------------------------------------- databases


def postgres_reachable(url: str = DEFAULT_PG_URL) -> bool:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=2):
            return True
    except Exception:
        return False


def _with_dbname(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@contextmanager
def throwaway_postgres(server_url: str = DEFAULT_PG_URL) -> Iterator[str]:
    """A new database civicgrid_bench_<random> on the server, dropped afterwards — unless
    CIVICGRID_BENCH_KEEP_DATABASE=1, to look into it afterwards (EXPLAIN, profiling)."""
    import psycopg
    from psycopg import sql

    name = f"civicgrid_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_dbname(server_url, name)
    finally:
        if os.environ.get("CIVICGRID_BENCH_KEEP_DATABASE") == "1":
            print(f"   kept the database: {_with_dbname(server_url, name)}", flush=True)
        else:
            _drop(server_url, name)


def _drop(server_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    # Django may still hold a connection in this process: close it, then force the drop.
    try:
        from django.db import connections

        connections.close_all()
    except Exception:
        pass
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def throwaway_sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="civicgrid-bench-") as tmp:
        yield f"sqlite:///{tmp}/bench.sqlite3"


def manage_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["CIVICGRID_DATABASE_URL"] = database_url
    # Production-like settings: DEBUG off, so Django does not keep every query in memory.
    env.pop("CIVICGRID_DEBUG", None)
    env.setdefault("CIVICGRID_INSECURE_DEV_KEY", "1")
    return env


def prepare_database(database_url: str, *, quiet: bool = False) -> float:
    """migrate + load_demo --no-cases in subprocesses; returns the seconds taken."""
    started = time.perf_counter()
    env = manage_env(database_url)
    for args in (["migrate", "--no-input", "-v0"], ["load_demo", "--no-cases", "--quiet"]):
        if not quiet:
            print(f"   manage.py {' '.join(args)}", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)
    return time.perf_counter() - started


def setup_django(database_url: str) -> None:
    """Point this process's Django at `database_url` (before anything touches settings)."""
    os.environ.update(manage_env(database_url))
    os.environ.pop("CIVICGRID_DEBUG", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    import django

    django.setup()


def machine() -> str:
    """One line describing the machine, for the printout and docs/performance.md."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        memory = f"{mem_kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration):
        memory = "unknown RAM"
    return f"{os.cpu_count()} CPUs ({cpu}), {memory}, Python {sys.version.split()[0]}"
