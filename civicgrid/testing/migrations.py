"""Migration tests on a scratch database of their own.

A data migration's test needs the schema as it was before the migration. Taking the test
database back there unapplies every later migration of every app and then applies them all
again (about a minute a test, most of it Django re-rendering the model states). Instead the
test gets an empty database beside the test database, migrated forwards only as far as the
test asks (the target's dependencies, a few seconds), with every model's reads and writes
routed to it; the test database is never touched, so the test needs no flush and no return to
the latest schema.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps
from django.db.utils import load_backend
from django.test import override_settings

ALIAS = "migration_scratch"

Target = tuple[str, str]


class ScratchRouter:
    """Every model, historical or current, reads and writes the scratch database."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True


class Migrator:
    """Moves the scratch database to a set of migrations and hands back their models."""

    def __init__(self) -> None:
        self.connection = connections[ALIAS]

    def migrate(self, targets: Sequence[Target]) -> StateApps:
        executor = MigrationExecutor(self.connection)
        executor.migrate(list(targets))
        return executor.loader.project_state(list(targets)).apps

    def cursor(self) -> Any:
        return self.connection.cursor()


@contextmanager
def scratch_database(folder: Path) -> Iterator[Migrator]:
    """An empty database of the test database's engine (a file in `folder` for SQLite), gone
    afterwards, with the routers sending every query there meanwhile."""
    settings = copy.deepcopy(connections["default"].settings_dict)
    postgres = settings["ENGINE"] == "django.db.backends.postgresql"
    if postgres:
        settings["NAME"] = f"{settings['NAME']}_scratch"[:63]
        _recreate(settings["NAME"])
    else:
        settings["NAME"] = str(folder / "migration_scratch.sqlite3")
    # A connection made here, not an alias in DATABASES: Django's test cases allow queries on
    # such connections (they forbid the configured aliases a test did not ask for).
    connections[ALIAS] = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, ALIAS)
    try:
        with override_settings(DATABASE_ROUTERS=[ScratchRouter()]):
            yield Migrator()
    finally:
        connections[ALIAS].close()
        del connections[ALIAS]
        if postgres:
            _drop(settings["NAME"])


def _recreate(name: str) -> None:
    _drop(name)
    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')


def _drop(name: str) -> None:
    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
