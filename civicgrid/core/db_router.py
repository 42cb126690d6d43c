"""Reads of dashboards and reports may go to a streaming replica; everything else stays on
the primary.

The choice is explicit: code that can live with a few seconds of replication lag (the
metrics page and API, report jobs, insights dashboards) wraps its reads in
`reading_from_replica()`. Without CIVICGRID_REPLICA_DATABASE_URL there is no `replica`
alias and the context manager changes nothing. Writes always go to `default`, even inside
the context, and a model instance read from the replica is saved to the primary.
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.conf import settings

REPLICA = "replica"
PRIMARY = "default"

_use_replica: ContextVar[bool] = ContextVar("civicgrid_use_replica", default=False)


def replica_configured() -> bool:
    return bool(getattr(settings, "CIVICGRID_READ_REPLICA", False)) and REPLICA in settings.DATABASES


@contextlib.contextmanager
def reading_from_replica() -> Iterator[str]:
    """Within the block, ORM reads go to the replica when one is configured; yields the alias used."""
    token = _use_replica.set(True)
    try:
        yield read_alias()
    finally:
        _use_replica.reset(token)


def read_alias() -> str:
    return REPLICA if _use_replica.get() and replica_configured() else PRIMARY


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Both aliases hold the same data: a replica row may point at a primary row.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica is a copy of the primary made by PostgreSQL, never migrated by us.
        return db != REPLICA
