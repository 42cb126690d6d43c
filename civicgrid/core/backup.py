"""Backup and restore of the database and the media files.

A backup is a directory named civicgrid-backup-<UTC timestamp> holding:
- database.dump (PostgreSQL, `pg_dump -Fc`) or database.sqlite3 (SQLite's online backup API,
  consistent while the app keeps writing);
- media.tar.gz (the whole MEDIA_ROOT);
- manifest.json: format, engine, row count per table and the sha256 of every file above.

Restore verifies every checksum before touching anything, so a damaged or tampered backup is
refused, naming the file, and the running database is left as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
MEDIA_FILE = "media.tar.gz"
# Tables that hold what people entered; if any has rows the target is "not empty" and restore
# asks for --yes. Tables filled by migrations alone (categories, permissions…) do not count.
DATA_TABLES = ("accounts_user", "geo_area", "cases_case")


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class CountCheck:
    table: str
    expected: int | None
    actual: int | None

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _engine(using: str) -> str:
    engine = connections[using].settings_dict["ENGINE"]
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise BackupError(f"unsupported database engine: {engine}")


def table_counts(using: str = "default") -> dict[str, int]:
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        counts: dict[str, int] = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = int(cursor.fetchone()[0])
    return counts


def database_is_empty(using: str = "default") -> bool:
    counts = table_counts(using)
    return not any(counts.get(table, 0) for table in DATA_TABLES)


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_command(program: str, using: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments from DATABASES[using]; the password travels in the environment,
    never on the command line (where `ps` would show it)."""
    conf = connections[using].settings_dict
    if shutil.which(program) is None:
        raise BackupError(f"{program} not found on PATH (install the PostgreSQL client tools)")
    args = [program, "--dbname", str(conf["NAME"])]
    if conf.get("HOST"):
        args += ["--host", str(conf["HOST"])]
    if conf.get("PORT"):
        args += ["--port", str(conf["PORT"])]
    if conf.get("USER"):
        args += ["--username", str(conf["USER"])]
    env = dict(os.environ)
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}")


def dump_postgresql(target: Path, using: str = "default") -> None:
    args, env = _pg_command("pg_dump", using)
    _run([*args, "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)], env)


def restore_postgresql(source: Path, using: str = "default") -> None:
    args, env = _pg_command("pg_restore", using)
    # Our own sessions must not hold locks on the tables pg_restore drops.
    connections[using].close()
    # One transaction: a restore that fails half-way leaves the database as it was.
    _run(
        [
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            str(source),
        ],
        env,
    )


# --- SQLite -----------------------------------------------------------------------------------


def copy_sqlite(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    # The online backup API copies a consistent snapshot even while others write (WAL mode).
    source.backup(target, pages=1024)


def _sqlite_path(using: str) -> str:
    name = str(connections[using].settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("an in-memory SQLite database cannot be backed up from another process")
    return name


def dump_sqlite(target: Path, using: str = "default") -> None:
    source = sqlite3.connect(_sqlite_path(using))
    dest = sqlite3.connect(target)
    try:
        copy_sqlite(source, dest)
    finally:
        dest.close()
        source.close()


def restore_sqlite(source_file: Path, using: str = "default") -> None:
    connections[using].close()
    source = sqlite3.connect(source_file)
    dest = sqlite3.connect(_sqlite_path(using), timeout=30)
    try:
        copy_sqlite(source, dest)
    finally:
        dest.close()
        source.close()


# --- media ------------------------------------------------------------------------------------


def archive_media(media_root: Path, target: Path) -> int:
    files = 0
    with tarfile.open(target, "w:gz") as tar:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=str(path.relative_to(media_root)), recursive=False)
                    files += 1
    return files


def extract_media(archive: Path, media_root: Path) -> None:
    """Unpack beside the media root, then swap, so readers never see a half-restored tree."""
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".media-restore-", dir=media_root.parent))
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(staging, filter="data")  # "data" refuses absolute paths and links outside
    old = media_root.with_name(media_root.name + ".old-restore")
    if old.exists():
        shutil.rmtree(old)
    if media_root.exists():
        media_root.rename(old)
    staging.rename(media_root)
    if old.exists():
        shutil.rmtree(old)


# --- backup / restore -------------------------------------------------------------------------


def create_backup(output: Path, using: str = "default", media_root: Path | None = None) -> Path:
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    engine = _engine(using)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = Path(output) / f"civicgrid-backup-{stamp}"
    # Written under a temporary name and renamed at the end: a crash never leaves a
    # directory that looks like a complete backup.
    work = Path(output) / f".{final.name}.partial"
    work.mkdir(parents=True)
    try:
        counts = table_counts(using)
        if engine == "postgresql":
            db_file = PG_DUMP_FILE
            dump_postgresql(work / db_file, using)
        else:
            db_file = SQLITE_FILE
            dump_sqlite(work / db_file, using)
        media_files = archive_media(media_root, work / MEDIA_FILE)
        manifest: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "engine": engine,
            "database": db_file,
            "media": MEDIA_FILE,
            "media_files": media_files,
            "counts": counts,
            "files": {name: sha256_file(work / name) for name in (db_file, MEDIA_FILE)},
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def verify_backup(directory: Path) -> dict[str, Any]:
    directory = Path(directory)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{manifest_path}: no manifest, not a civicgrid backup")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{manifest_path}: unreadable manifest ({exc})") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{manifest_path}: unknown backup format {manifest.get('format')!r}")
    for name, expected in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise BackupError(f"{path}: missing")
        if sha256_file(path) != expected:
            raise BackupError(f"{path}: checksum mismatch, the backup is damaged")
    return manifest


def restore_backup(
    directory: Path, using: str = "default", media_root: Path | None = None, force: bool = False
) -> list[CountCheck]:
    directory = Path(directory)
    manifest = verify_backup(directory)
    engine = _engine(using)
    if manifest["engine"] != engine:
        raise BackupError(f"the backup is of a {manifest['engine']} database; the target is {engine}")
    if not force and not database_is_empty(using):
        raise BackupError("the target database is not empty; pass --yes to overwrite it")
    if engine == "postgresql":
        restore_postgresql(directory / manifest["database"], using)
    else:
        restore_sqlite(directory / manifest["database"], using)
    extract_media(
        directory / manifest["media"], Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    )
    actual = table_counts(using)
    expected: dict[str, int] = manifest["counts"]
    return [
        CountCheck(table, expected.get(table), actual.get(table))
        for table in sorted(set(expected) | set(actual))
    ]
