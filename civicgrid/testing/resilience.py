"""Helpers for the resilience tests: service probes, a throwaway PostgreSQL database, a migrated
database for a child process (copied from one this process migrated once), and manage.py / celery
subprocesses pointed at it (a subprocess cannot see a test's transaction)."""

import atexit
import contextlib
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
SUBPROCESS_TIMEOUT = 180  # seconds; every child is killed after this, so no test hangs


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout):
            return True
    except OSError:
        return False


def postgres_url() -> str:
    """The server the PostgreSQL pass uses (or the local default), as a URL to its admin db."""
    for name in ("CIVICGRID_TEST_DATABASE_URL", "CIVICGRID_DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://")):
            return _with_db(url, "postgres")
    return DEFAULT_PG_URL


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def require_postgres() -> str:
    url = postgres_url()
    parts = urlsplit(url)
    if not reachable(parts.hostname or "127.0.0.1", parts.port or 5432):
        pytest.skip(f"PostgreSQL not reachable at {parts.hostname}:{parts.port or 5432}")
    return url


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A fresh database `civicgrid_resil_<random>` (URL yielded), dropped afterwards."""
    admin = require_postgres()
    name = f"civicgrid_resil_{secrets.token_hex(4)}"
    try:
        _admin(admin, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # no rights, server full: not this test's business
        pytest.skip(f"cannot create a throwaway PostgreSQL database: {exc}")
    try:
        yield _with_db(admin, name)
    finally:
        _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def child_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CIVICGRID_", "PYTEST_", "DJANGO_"))}
    env.update(
        CIVICGRID_DATABASE_URL=database_url,
        CIVICGRID_VAR_DIR=str(var_dir),
        CIVICGRID_INSECURE_DEV_KEY="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(
    env: dict[str, str], *args: str, timeout: float = SUBPROCESS_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args], env=env, cwd=BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Poll until predicate() is truthy (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- Celery workers


def require_broker(url: str) -> str:
    parts = urlsplit(url)
    default_port = 5672 if parts.scheme.startswith("amqp") else 6379
    if not reachable(parts.hostname or "127.0.0.1", parts.port or default_port):
        pytest.skip(f"broker not reachable at {parts.hostname}:{parts.port or default_port}")
    return url


def start_worker(
    env: dict[str, str], queues: list[str], name: str, log: Path, app: str = "civicgrid"
) -> subprocess.Popen[bytes]:
    """A real `celery -A <app> worker` (prefork, one child) in its own process group, so
    kill_group() takes the pool child with it, as when a machine or container dies. `app` is
    civicgrid's, or civicgrid.testing.paused_worker for a worker that pauses mid-task."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                app,
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "1",
                "--queues",
                ",".join(queues),
                "--hostname",
                f"{name}@%h",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            env=env,
            cwd=BASE_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool children: no warm shutdown, no ack, no requeue by us."""
    import signal

    if process.poll() is not None:
        return  # reaped already: its pid (and group id) may belong to someone else by now
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


def delete_queues(broker: str, queues: list[str]) -> None:
    """Remove a test run's queues (and, on Redis, its unacknowledged messages) from the broker."""
    if broker.startswith("redis"):
        import redis

        client = redis.Redis.from_url(broker)
        # Kombu's shared bookkeeping (binding sets, their expiry) names the queues and workers.
        prefix = os.path.commonprefix(queues).encode()
        for key in client.scan_iter(match="_kombu.binding*"):
            kind = client.type(key)
            if kind == b"set":
                for name in client.smembers(key):
                    if prefix and prefix in name:
                        client.srem(key, name)
            elif kind == b"zset":
                for entry in client.zrange(key, 0, -1):
                    if prefix and isinstance(entry, bytes) and prefix in entry:
                        client.zrem(key, entry)
        for queue in queues:
            for key in client.scan_iter(match=f"*{queue}*"):
                client.delete(key)
            for tag, payload in client.hscan_iter("unacked"):
                if queue.encode() in payload:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)
        client.close()
        return
    from kombu import Connection

    with Connection(broker, connect_timeout=5) as conn:
        for queue in queues:
            channel = conn.channel()
            # A queue already gone makes the broker close the channel; nothing else to do.
            with contextlib.suppress(Exception):
                channel.queue_delete(queue)
            with contextlib.suppress(Exception):
                channel.close()


# One migrated database per test process and engine, copied for every child that needs one.
_migrated: dict[str, str] = {}


def migrate(env: dict[str, str]) -> None:
    """Brings the child's empty database (env's CIVICGRID_DATABASE_URL) to the latest schema as
    `manage.py migrate` would: from a copy of a database this process migrated once. Migrating
    from nothing takes most of a minute (Django re-renders the model states at every step); a
    copy, a second."""
    url = env["CIVICGRID_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        template = _migrated.get("sqlite") or _migrate_template(env, _sqlite_template_url())
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        with (
            contextlib.closing(sqlite3.connect(template.removeprefix("sqlite:///"))) as source,
            contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as target,
        ):
            source.backup(target)
        return
    template = _migrated.get("postgres") or _migrate_template(env, _postgres_template_url(url))
    name, admin = urlsplit(url).path.lstrip("/"), _with_db(url, "postgres")
    _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(admin, f'CREATE DATABASE "{name}" TEMPLATE "{urlsplit(template).path.lstrip("/")}"')


def _sqlite_template_url() -> str:
    folder = tempfile.mkdtemp(prefix="civicgrid-migrated-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return f"sqlite:///{folder}/template.sqlite3"


def _postgres_template_url(url: str) -> str:
    admin = _with_db(url, "postgres")
    name = f"civicgrid_migrated_{secrets.token_hex(4)}"
    _admin(admin, f'CREATE DATABASE "{name}"')
    atexit.register(_admin, admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return _with_db(url, name)


def _migrate_template(env: dict[str, str], template: str) -> str:
    manage({**env, "CIVICGRID_DATABASE_URL": template}, "migrate", "--no-input", "-v0")
    _migrated["sqlite" if template.startswith("sqlite") else "postgres"] = template
    return template
