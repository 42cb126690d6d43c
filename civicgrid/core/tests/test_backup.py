"""Backup/restore round trips on SQLite and PostgreSQL, the production server, and /healthz.

The round trips run `manage.py` in subprocesses against their own database (a file under
tmp_path, or a throwaway PostgreSQL database), never the test database of this process."""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from cryptography.fernet import Fernet
from django.db import OperationalError

from civicgrid.core.backup import BackupError, verify_backup
from civicgrid.testing import resilience

ROOT = Path(__file__).resolve().parents[3]
PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}

# Fills a fresh migrated database: the two-street world, cases at several stages, a media file.
SEED = """
import django; django.setup()
from pathlib import Path
from django.conf import settings
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # Argon2 is slow on purpose
from civicgrid.testing.factories import build_world
from civicgrid.cases.tests.factories import make_case, advance, duty
from civicgrid.cases.choices import CaseStatus
world = build_world()
duty(world)
make_case(world)
advance(world, make_case(world, description="窨井盖缺失，夜间有安全隐患"), CaseStatus.IN_PROGRESS)
advance(world, make_case(world, description="路灯不亮已经一周了"), CaseStatus.CLOSED)
media = Path(settings.MEDIA_ROOT) / "cases" / "2026"
media.mkdir(parents=True, exist_ok=True)
(media / "photo.jpg").write_bytes(bytes(range(256)) * 40)
"""

# Prints a fingerprint of the data: row counts and a hash of every row of the key tables.
FINGERPRINT = """
import django, hashlib, json; django.setup()  # no-op after SEED
from pathlib import Path
from django.conf import settings
from django.db import connection
from civicgrid.core.backup import table_counts
tables = ["accounts_user", "geo_area", "geo_building", "orgs_unit", "cases_case", "cases_caseevent"]
digest = {}
with connection.cursor() as cursor:
    for table in tables:
        cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
        digest[table] = hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()
media = sorted(
    (str(p.relative_to(settings.MEDIA_ROOT)), hashlib.sha256(p.read_bytes()).hexdigest())
    for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()
)
print(json.dumps({"counts": table_counts(), "rows": digest, "media": media}))
"""


def is_postgres_pass() -> bool:
    return os.environ.get("CIVICGRID_DATABASE_URL", "").startswith("postgres")


# One key for every process of a test: they read what the others wrote.
FIELD_KEY = Fernet.generate_key().decode()


def service_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_") and k != "PYTEST_VERSION"}
    env.update(
        DJANGO_SETTINGS_MODULE="civicgrid.settings",
        CIVICGRID_SECRET_KEY="backup-test-" + "x" * 40,
        CIVICGRID_FIELD_KEYS=FIELD_KEY,
        CIVICGRID_DATABASE_URL=database_url,
        CIVICGRID_VAR_DIR=str(tmp_path / "var"),
        CIVICGRID_MEDIA_ROOT=str(tmp_path / "media"),
        CIVICGRID_LOG_LEVEL="ERROR",
    )
    return env


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def fingerprint(env: dict[str, str]) -> dict:
    return json.loads(run(env, "-c", FINGERPRINT).stdout)


def make_backup(env: dict[str, str], tmp_path: Path) -> Path:
    run(env, "manage.py", "backup", "--output", str(tmp_path / "backups"))
    (backup,) = (tmp_path / "backups").glob("civicgrid-backup-*")
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["counts"]["cases_case"] == 3 and manifest["media_files"] == 1
    return backup


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def round_trip(env: dict[str, str], tmp_path: Path, wipe) -> None:
    # Each subprocess pays Django's start-up, so the steps are few: seed, backup, refuse, restore, compare.
    resilience.migrate(env)
    before = json.loads(run(env, "-c", SEED + FINGERPRINT).stdout)
    assert before["counts"]["cases_case"] == 3 and len(before["media"]) == 1
    backup = make_backup(env, tmp_path)

    # The database holds data: restore refuses without --yes (and changes nothing, checked below).
    refused = run(env, "manage.py", "restore", str(backup), check=False)
    assert refused.returncode != 0 and "not empty" in refused.stderr

    wipe()
    shutil.rmtree(tmp_path / "media")
    restored = run(env, "manage.py", "restore", str(backup))
    assert "every row count matches" in restored.stdout
    assert re.search(r"cases_case\s+3\s+3", restored.stdout)
    assert fingerprint(env) == before

    # A damaged file is refused by name before anything is touched.
    db_file = json.loads((backup / "manifest.json").read_text())["database"]
    corrupt(backup / db_file)
    with pytest.raises(BackupError, match=rf"{db_file}: checksum mismatch"):
        verify_backup(backup)


def test_sqlite_round_trip(tmp_path):
    if is_postgres_pass():
        pytest.skip("SQLite round trip runs in the SQLite pass")
    db = tmp_path / "live.sqlite3"
    env = service_env(tmp_path, f"sqlite:///{db}")
    round_trip(env, tmp_path, wipe=lambda: db.unlink())


def test_backup_with_a_missing_file_is_refused(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 1, "files": {"media.tar.gz": "0" * 64}}))
    with pytest.raises(BackupError, match="media.tar.gz: missing"):
        verify_backup(tmp_path)
    (tmp_path / "media.tar.gz").write_bytes(b"not the archive")
    with pytest.raises(BackupError, match="media.tar.gz: checksum mismatch"):
        verify_backup(tmp_path)


# --- PostgreSQL -------------------------------------------------------------------------------


def pg_admin():
    # Starting servers and migrating throwaway databases is slow: do it once, in the PostgreSQL pass.
    if not is_postgres_pass():
        pytest.skip("runs in the PostgreSQL pass (CIVICGRID_DATABASE_URL=postgres://…)")
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(**PG_ADMIN, dbname="postgres", autocommit=True, connect_timeout=2)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432: {exc}")


@pytest.fixture
def throwaway_pg():
    """A database of our own, dropped at the end whatever happens."""
    admin = pg_admin()
    name = f"civicgrid_backup_test_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')

    def wipe() -> None:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')

    try:
        yield f"postgres://{PG_ADMIN['user']}@{PG_ADMIN['host']}:{PG_ADMIN['port']}/{name}", wipe
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.postgres
def test_postgresql_round_trip(tmp_path, throwaway_pg):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not installed")
    url, wipe = throwaway_pg
    env = service_env(tmp_path, url)
    round_trip(env, tmp_path, wipe)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


@pytest.mark.postgres
def test_gunicorn_serves_the_production_profile(tmp_path, throwaway_pg):
    url, _ = throwaway_pg
    port = free_port()
    env = service_env(tmp_path, url)
    env.update(
        CIVICGRID_DEBUG="0",
        CIVICGRID_DB_POOL="1",
        CIVICGRID_BIND=f"127.0.0.1:{port}",
        CIVICGRID_WEB_WORKERS="2",
        CIVICGRID_ACCESS_LOG=str(tmp_path / "access.log"),
    )
    resilience.migrate(env)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body, _ = fetch(f"http://127.0.0.1:{port}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        assert status == 200 and json.loads(body) == {"status": "ok"}
        status, body, _ = fetch(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 200 and b'name="password"' in body
        # Static files come from WhiteNoise's finders in the same process.
        status, _, headers = fetch(f"http://127.0.0.1:{port}/static/css/cases.css")
        assert status == 200 and headers["Content-Type"].startswith("text/css")
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert "GET /healthz" in (tmp_path / "access.log").read_text()


# --- /healthz in-process ----------------------------------------------------------------------


def test_healthz_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_a_database_outage_with_retry_after(client, db):
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=OperationalError):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["status"] == "unavailable"
