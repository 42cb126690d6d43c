"""API: create-case and list-cases under concurrent load against the production profile.

The server is gunicorn with deploy/gunicorn.conf.py (sync workers, CIVICGRID_WEB_WORKERS), DEBUG
off, PostgreSQL with Django's connection pool, a real SECRET_KEY, Celery without a broker (the
filesystem transport into a throwaway folder: the request queues its tasks, as in production; no
worker runs, the worker's share is not measured), bound to a free port on 127.0.0.1. The load comes
from this process: N client threads, each with its own http.client connection, for D seconds per
endpoint, recording every request's latency. Measured: POST /api/v1/cases (create) and GET
/api/v1/cases?page_size=20 (list) with a bearer token of lujiazui-dispatcher. Baseline: a trivial
JSON view in the same server, through the same middleware (mounted only with
CIVICGRID_BENCHMARK_ENDPOINTS=1). Before timing, `seed_cases` cases are created through the API so
the list has data.
"""

import http.client
import itertools
import json
import multiprocessing
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .common import ROOT, Figure, Result, Target, manage_env

TARGET_RATIO = 0.40
USER = "lujiazui-dispatcher"
STREET = "陆家嘴街道"
TRIVIAL_PATH = "/bench/trivial"
CASES_PATH = "/api/v1/cases"
LIST_PATH = "/api/v1/cases?page_size=20"
# (method, path, body) for request number i.
Request = tuple[str, str, bytes | None]


def default_workers() -> int:
    # gunicorn's rule of thumb is 2 × cores + 1; on a 2-core machine shared with PostgreSQL
    # and the load generator, 2 × cores does as well and is what docs/performance.md records.
    return 2 * (os.cpu_count() or multiprocessing.cpu_count())


@dataclass
class Sample:
    """What the clients saw for one endpoint."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: int = 0
    in_window: int = 0  # successful requests completed before the deadline (the rate counts these)
    error_examples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.in_window / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
        return ordered[rank] * 1000


# ---------------------------------------------------------------------------- data


def demo_data(database_url: str) -> tuple[list[tuple[str, float, float]], list[str]]:
    """Buildings of the dispatcher's street and active leaf categories, read with psycopg."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        buildings = conn.execute(
            "SELECT b.address, b.lon, b.lat FROM geo_building b JOIN geo_area s ON s.id = b.street_id "
            "WHERE s.name = %s AND b.lon IS NOT NULL ORDER BY b.id",
            [STREET],
        ).fetchall()
        categories = [
            code
            for (code,) in conn.execute(
                "SELECT c.code FROM cases_category c WHERE c.is_active AND NOT EXISTS "
                "(SELECT 1 FROM cases_category k WHERE k.parent_id = c.id) ORDER BY c.code"
            ).fetchall()
        ]
    if not buildings or not categories:
        raise RuntimeError("load the demo geography first (load_demo --no-cases)")
    return buildings, categories


def case_count(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM cases_case").fetchone()
    return int(row[0]) if row else 0


def create_requests(
    buildings: list[tuple[str, float, float]], categories: list[str]
) -> Callable[[int], Request]:
    def make(i: int) -> Request:
        address, lon, lat = buildings[i % len(buildings)]
        body = {
            "request_type": "complaint",
            "category": categories[(i * 7) % len(categories)],
            "description": f"压测工单 {i}：{address}附近夜间噪声扰民，希望尽快处理。",
            "channel": "hotline",
            "address": address,
            "lon": lon,
            "lat": lat,
        }
        return "POST", CASES_PATH, json.dumps(body, ensure_ascii=False).encode()

    return make


# ---------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, port: int, workers: int) -> dict[str, str]:
    env = manage_env(database_url)
    # CIVICGRID_INSECURE_DEV_KEY stays: the secret key below is real, and the personal fields
    # are read with the development key manage_env() wrote them with.
    for name in (
        "CIVICGRID_DEBUG",
        "CIVICGRID_CELERY_BROKER_URL",
        "PYTEST_VERSION",
    ):
        env.pop(name, None)
    env.update(
        CIVICGRID_DEBUG="0",
        CIVICGRID_SECRET_KEY=secrets.token_urlsafe(50),
        CIVICGRID_DB_POOL="1",
        CIVICGRID_BIND=f"127.0.0.1:{port}",
        CIVICGRID_WEB_WORKERS=str(workers),
        CIVICGRID_BENCHMARK_ENDPOINTS="1",
        CIVICGRID_LOG_LEVEL="WARNING",
        CIVICGRID_CELERY_FILESYSTEM_DIR=tempfile.mkdtemp(prefix="civicgrid-bench-tasks-"),
    )
    return env


def create_token(database_url: str) -> str:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "create_api_token",
            USER,
            "--name",
            "bench_api",
            "--scope",
            "write",
            "--rate-limit",
            "0",
        ],
        env=manage_env(database_url),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1].strip()


def start_server(database_url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy" / "gunicorn.conf.py")],
            env=server_env(database_url, port, workers),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", TRIVIAL_PATH)
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on 127.0.0.1:{port} within {timeout:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
    try:
        server.wait(timeout=25)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# ---------------------------------------------------------------------------- load


def drive(
    port: int,
    headers: dict[str, str],
    make: Callable[[int], Request],
    *,
    clients: int,
    seconds: float | None = None,
    total: int | None = None,
) -> Sample:
    """`clients` threads send requests until `seconds` have passed or `total` were sent."""
    numbers = itertools.count()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    per_thread: list[Sample] = [Sample() for _ in range(clients)]
    deadline = [float("inf")]

    def client(sample: Sample) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        while time.perf_counter() < deadline[0]:
            with lock:
                i = next(numbers)
            if total is not None and i >= total:
                break
            method, path, body = make(i)
            began = time.perf_counter()
            try:
                # gunicorn's sync workers close the connection after each response; http.client
                # then reconnects on the next request, so the connect is part of the latency.
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                elapsed = time.perf_counter() - began
            except (OSError, http.client.HTTPException) as exc:
                sample.errors += 1
                if len(sample.error_examples) < 3:
                    sample.error_examples.append(f"{method} {path}: {exc!r}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            if 200 <= response.status < 300:
                sample.latencies.append(elapsed)
                if began + elapsed <= deadline[0]:
                    sample.in_window += 1
            else:
                sample.errors += 1
                if len(sample.error_examples) < 3:
                    sample.error_examples.append(f"{method} {path}: {response.status} {payload[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=client, args=(s,), daemon=True) for s in per_thread]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline[0] = began + seconds if seconds is not None else float("inf")
    start.wait()
    for t in threads:
        t.join()
    # Timed runs: requests completed within the window over its length, as wrk counts them
    # (a straggler finishing after the deadline does not stretch the window).
    merged = Sample(seconds=seconds if seconds is not None else time.perf_counter() - began)
    for s in per_thread:
        merged.latencies += s.latencies
        merged.in_window += s.in_window
        merged.errors += s.errors
        merged.error_examples += s.error_examples
    return merged


def _figure(label: str, sample: Sample) -> Figure:
    return Figure(
        label,
        sample.rate,
        f"req/s (p50 {sample.percentile(50):.1f} ms, p95 {sample.percentile(95):.1f} ms, "
        f"p99 {sample.percentile(99):.1f} ms, max {sample.percentile(100):.0f} ms; {sample.ok:,} requests)",
    )


# ---------------------------------------------------------------------------- run


def run(
    database_url: str,
    *,
    seconds: float = 10.0,
    clients: int = 8,
    workers: int | None = None,
    seed_cases: int = 300,
) -> Result:
    """The database must be migrated and hold the demo geography (prepare_database)."""
    workers = workers or default_workers()
    buildings, categories = demo_data(database_url)
    token = create_token(database_url)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    make_case = create_requests(buildings, categories)
    port = free_port()
    samples: dict[str, Sample] = {}
    with tempfile.TemporaryDirectory(prefix="civicgrid-bench-api-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        server = start_server(database_url, port, workers, log)
        try:
            wait_ready(port, server)
            before = case_count(database_url)
            # Seed the list (and warm every worker's pool and caches) before timing anything.
            seeded = drive(port, headers, make_case, clients=clients, total=seed_cases)
            offset = seed_cases  # the timed creates continue the numbering
            samples["trivial"] = drive(
                port, headers, lambda i: ("GET", TRIVIAL_PATH, None), clients=clients, seconds=seconds
            )
            samples["create"] = drive(
                port, headers, lambda i: make_case(offset + i), clients=clients, seconds=seconds
            )
            samples["list"] = drive(
                port, headers, lambda i: ("GET", LIST_PATH, None), clients=clients, seconds=seconds
            )
            after = case_count(database_url)
        except BaseException:
            stop_server(server)
            sys.stderr.write(log.read_text(errors="replace")[-4000:])
            raise
        stop_server(server)

    errors = seeded.errors + sum(s.errors for s in samples.values())
    created = after - before
    expected = seeded.ok + samples["create"].ok
    trivial, create, listed = samples["trivial"], samples["create"], samples["list"]
    ratio = create.rate / trivial.rate if trivial.rate else 0.0
    notes = [
        f"gunicorn {workers} sync workers, {clients} client threads on 127.0.0.1, {seconds:g} s each; "
        "clients, server and PostgreSQL share the machine's cores",
        "sync workers close the connection after each response: every request includes a TCP connect",
    ]
    for s in (seeded, *samples.values()):
        notes += [f"error: {e}" for e in s.error_examples]
    return Result(
        name="api",
        size=f"{seconds:g} s per endpoint, {clients} clients, {workers} workers, {seed_cases} seeded cases",
        figures=[
            _figure("trivial JSON view (baseline)", trivial),
            _figure("POST /api/v1/cases", create),
            _figure("GET /api/v1/cases?page_size=20", listed),
            Figure("list / trivial", listed.rate / trivial.rate * 100 if trivial.rate else 0.0, "%"),
            Figure("errors (non-2xx or failed)", float(errors)),
            Figure("cases created", float(created)),
        ],
        ratio=ratio,
        ratio_label="create / trivial view",
        targets=[
            Target(f"create ≥ {TARGET_RATIO:.0%} of the trivial view ({ratio:.0%})", ratio >= TARGET_RATIO)
        ],
        # Every request succeeded and every 201 left exactly one case behind.
        agree=errors == 0 and created == expected and create.ok > 0,
    )
