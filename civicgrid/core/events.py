"""Durable domain events: the log (`core.Event`) and its one reader (`Consumer`).

Writing. Every committed write records one `Event` in its own transaction: the action frame
does it for every action (core.frame), an app's other writers call `log()` (or build rows
with `row()` for a bulk insert). The event commits or rolls back with the write, so what
follows a write (a webhook, a notice, a rollup) can never be lost between the COMMIT and an
on-commit callback, nor happen for a write that rolled back.

Reading. A `Consumer` is a name, a handler and a filter (apps, actions). `run(consumer)`
reads the events after the consumer's watermark (`EventCursor`, one row per consumer) in id
order, a batch at a time, and calls the handler with the batch inside the transaction that
then advances the watermark: the handler's writes and the new watermark commit together. The
cursor row is locked for the batch, so two workers never handle the same batch; handlers are
idempotent all the same (unique keys), because a batch can be handled again: above an id that
is not visible yet (see below), or after a crash between a handler's side effect outside the
database and the COMMIT.

Ids are handed out at INSERT but become visible at COMMIT, so event 101 can be visible while
100 is not yet. When another transaction is writing at the moment the reader looks
(PostgreSQL's snapshot says so; on SQLite the reader holds the only write lock), the watermark
only advances over a contiguous run of ids; a hole is waited for (`GAP_GRACE`) and then
stepped over: it was a transaction that rolled back. Events above a hole are handled anyway,
and again once the hole is passed.

When. After a write commits, `kick_on_commit()` (called by `log()`) sends one Celery task that
runs the live consumers (in eager mode: right after the commit, in-process); beat runs them
every few seconds as well (`CIVICGRID_EVENTS_SECONDS`), and `manage.py consume_events` by hand.
Consumers that are not live (the rollups) run on their own schedule.
"""

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet

from . import clock
from .models import Event, EventCursor
from .retry import retry_when_locked

log_ = logging.getLogger(__name__)

# How long a missing event id is waited for before a watermark steps over it (a transaction
# that rolled back leaves a hole for good). Longer than any transaction that writes events.
GAP_GRACE = timedelta(seconds=float(getattr(settings, "CIVICGRID_EVENTS_GAP_GRACE_SECONDS", 600)))


# ---------------------------------------------------------------------------- writing


def actor_label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "系统"
    return str(actor)


def row(
    app: str,
    object_type: str,
    object_id: Any,
    action: str,
    *,
    actor: Any = None,
    street_id: int | None = None,
    version: int | None = None,
    at: datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The fields of one event (a bulk writer inserts many of these itself, then calls
    `kick_on_commit()`)."""
    return {
        "app": app,
        "object_type": object_type,
        "object_id": object_id,
        "action": str(action),
        "street_id": street_id,
        "version": version,
        "actor_id": actor.pk if getattr(actor, "is_authenticated", False) else None,
        "actor_label": actor_label(actor),
        "at": at or clock.now(),
        "payload": payload or {},
    }


def log(
    obj: Any,
    action: str,
    actor: Any = None,
    *,
    at: datetime | None = None,
    payload: dict[str, Any] | None = None,
    version: int | None = None,
) -> Event:
    """Record that `actor` took `action` on `obj` (a model instance), in the current
    transaction. Its version is the one it has now unless given; its street is its
    `street_id`, if it has one."""
    meta = obj._meta
    event = Event.objects.create(
        **row(
            meta.app_label,
            meta.model_name,
            obj.pk,
            action,
            actor=actor,
            street_id=getattr(obj, "street_id", None),
            version=version if version is not None else getattr(obj, "version", None),
            at=at,
            payload=payload,
        )
    )
    kick_on_commit()
    return event


@dataclass
class Held:
    """What `deferred()` held back: whether a write inside it wanted the consumers run."""

    wanted: bool = False


_deferred: ContextVar[Held | None] = ContextVar("civicgrid_events_deferred", default=None)


@contextlib.contextmanager
def deferred() -> Iterator[Held]:
    """Writes inside the block kick no consumer: the caller runs them (`run_all()`) or kicks
    (`kick()`) when it chooses — load_demo, replaying a year of writes, once per simulated day,
    not per write; the sensor consumer at most twice a second."""
    held = Held()
    token = _deferred.set(held)
    try:
        yield held
    finally:
        _deferred.reset(token)


def kick_on_commit() -> None:
    """Run the live consumers soon after the current transaction commits: one kick per
    transaction however many events it wrote (nothing if it rolls back, or inside
    `deferred()`)."""
    held = _deferred.get()
    if held is not None:
        held.wanted = True
        return
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        transaction.on_commit(kick, robust=True)  # autocommit: at once
        return
    # Already kicked from this (sub)transaction: the same savepoints (a kick from an inner
    # block that was released, or from a caller's earlier block, does not count). Which
    # savepoint sets have a kick is remembered beside the connection's list of commit hooks,
    # not found by scanning it: a long transaction (a demo load inside a test) holds
    # thousands of hooks, and a scan per event made it quadratic. Django replaces the list
    # whenever hooks go (commit, rollback, rollback to a savepoint): then it is read again.
    hooks = conn.run_on_commit
    kicked = getattr(conn, "_civicgrid_kicked", None)
    if kicked is None or kicked[0] is not hooks:
        kicked = (hooks, {frozenset(ids) for ids, f, _robust in hooks if f is kick})
        conn._civicgrid_kicked = kicked
    here = frozenset(conn.savepoint_ids)
    if here in kicked[1]:
        return
    # Robust: a broker that is down loses nothing (beat runs the consumers anyway).
    transaction.on_commit(kick, robust=True)
    kicked[1].add(here)


def kick() -> None:
    """Run the live consumers now (a Celery task; in eager mode, in this process)."""
    from . import tasks

    tasks.consume_events.delay()


# ---------------------------------------------------------------------------- consumers


@dataclass
class Batch:
    """Events after..upto of the log (those the consumer wants: `events`, `queryset()`).
    `latest` is the log's end when the batch was read; a handler that covered everything (a
    rebuild) may raise `upto` to it. `full`: the caller asked for a rebuild."""

    consumer: "Consumer"
    after: int
    upto: int
    latest: int
    now: datetime
    full: bool = False

    def queryset(self) -> QuerySet[Event]:
        return self.consumer.wanted(Event.objects.filter(pk__gt=self.after, pk__lte=self.upto)).order_by("pk")

    @cached_property
    def events(self) -> list[Event]:
        return list(self.queryset())


@dataclass(frozen=True)
class Consumer:
    """A reader of the log with its own watermark. `handler(batch)` must be idempotent; what
    it returns is collected in the run's report."""

    name: str
    handler: Callable[[Batch], Any]
    apps: frozenset[str] = frozenset()  # empty: every app
    actions: frozenset[str] = frozenset()  # empty: every action
    where: Q | None = None  # a further condition (e.g. on the payload)
    batch_size: int = 500
    # Run right after each write (the kick) and by the frequent beat; False: only when asked
    # (the rollups, on their own schedule).
    live: bool = True

    def wanted(self, events: QuerySet[Event]) -> QuerySet[Event]:
        if self.apps:
            events = events.filter(app__in=self.apps)
        if self.actions:
            events = events.filter(action__in=self.actions)
        return events if self.where is None else events.filter(self.where)


consumers: dict[str, Consumer] = {}


def register(consumer: Consumer) -> Consumer:
    """Declare a consumer (from an app's `ready()`); its watermark row is made on its first run."""
    consumers[consumer.name] = consumer
    return consumer


@dataclass
class Report:
    name: str
    ran: bool = True  # False: another worker held this consumer's lock (wait=False)
    batches: int = 0
    watermark: int = 0
    results: list[Any] = field(default_factory=list)


def run(consumer: Consumer, *, wait: bool = True, now: datetime | None = None, full: bool = False) -> Report:
    """Hand every event after the consumer's watermark to its handler, batch by batch."""
    # On SQLite a concurrent writer makes a batch fail with "database is locked"; it rolled
    # back (watermark included), so it simply runs again.
    return retry_when_locked()(_run)(consumer, wait=wait, now=now, full=full)


def run_all(*, live_only: bool = True, wait: bool = False) -> list[Report]:
    """Every registered consumer (only the live ones unless asked), each on its own."""
    reports = []
    for consumer in list(consumers.values()):
        if consumer.live or not live_only:
            try:
                reports.append(run(consumer, wait=wait))
            except Exception:  # one failing consumer must not starve the others; it retries next time
                log_.exception("event consumer %s failed", consumer.name)
    return reports


def _run(consumer: Consumer, *, wait: bool, now: datetime | None, full: bool) -> Report:
    start, _created = EventCursor.objects.get_or_create(name=consumer.name)
    report = Report(consumer.name, watermark=start.last_event_id)
    if connection.vendor != "postgresql" and not full and start.last_event_id >= _latest_event()[0]:
        return report  # nothing new: SQLite's lock is a write, so none is taken (an idle site's beat)
    while True:
        with transaction.atomic():
            cursor = _locked_cursor(consumer.name, wait)
            if cursor is None:
                report.ran = False
                return report
            at = now or clock.now()
            latest, writing = _latest_event()
            after = cursor.last_event_id
            if latest <= after and not full:
                return report  # nothing new: nothing to write
            upto = _batch_end(after, latest, consumer.batch_size)
            if upto > after or (full and not report.batches):
                batch = Batch(consumer, after, upto, latest, at, full=full)
                report.results.append(consumer.handler(batch))
                upto = max(upto, batch.upto)
                report.batches += 1
            _advance(cursor, upto, at, writing)
            cursor.ran_at = at
            cursor.save()
            report.watermark = cursor.last_event_id
        if cursor.last_event_id != upto or upto >= latest:
            return report  # done, or waiting for a hole: the next run goes on


def _batch_end(after: int, latest: int, size: int) -> int:
    """The id that ends the next batch: `size` events of the log after `after`, or `latest`."""
    if latest - after <= size:
        return latest
    ids = Event.objects.filter(pk__gt=after, pk__lte=latest).order_by("pk").values_list("pk", flat=True)
    last = ids[size - 1 : size].first()
    return latest if last is None else last


def _locked_cursor(name: str, wait: bool) -> EventCursor | None:
    """The consumer's cursor, locked until the end of the transaction (None: someone else has it)."""
    if connection.vendor == "postgresql":
        return EventCursor.objects.select_for_update(skip_locked=not wait).filter(pk=name).first()
    # SQLite has no row locks: writing first takes the database's write lock for the transaction.
    EventCursor.objects.filter(pk=name).update(last_event_id=F("last_event_id"))
    return EventCursor.objects.get(pk=name)


def _latest_event() -> tuple[int, bool]:
    """The highest visible event id, and whether some other transaction was writing at that
    moment (and so may still commit an event with a lower id)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # One statement: the max and the writers go together. A writer of events holds a
            # RowExclusiveLock on the table until it ends (taken before its nextval); counting
            # those, not every transaction in flight, leaves out the other databases of the
            # cluster (a test worker's, another site's), whose transactions write no event here.
            cursor.execute(
                "SELECT COALESCE(MAX(id), 0), (SELECT count(*) FROM pg_locks WHERE locktype = 'relation' "
                "AND relation = %s::regclass AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid() "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) "
                f"FROM {Event._meta.db_table}",
                [Event._meta.db_table],
            )
            last, writing = cursor.fetchone()
        return int(last), writing > 0
    # SQLite: this transaction holds the database's only write lock, nobody else is writing.
    last = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0, False


def _first_missing(after: int, upto: int) -> int | None:
    """The lowest event id in (after, upto] that is not (yet) visible, or None."""
    if after >= upto:
        return None
    if Event.objects.filter(pk__gt=after, pk__lte=upto).count() == upto - after:
        return None
    if not Event.objects.filter(pk=after + 1).exists():
        return after + 1
    before_hole = (
        Event.objects.filter(pk__gt=after, pk__lt=upto)
        .exclude(Exists(Event.objects.filter(pk=OuterRef("pk") + 1)))
        .aggregate(first=Min("pk"))["first"]
    )
    return None if before_hole is None else before_hole + 1


def _advance(cursor: EventCursor, upto: int, now: datetime, writing: bool) -> None:
    """Move the watermark up to `upto`. With no other writer in flight every missing id is a
    rolled-back one; otherwise only over contiguous ids, stepping over a hole once it has been
    missing for GAP_GRACE."""
    mark = cursor.last_event_id
    if not writing:
        cursor.last_event_id, cursor.gap_id, cursor.gap_seen_at = max(mark, upto), None, None
        return
    while True:
        missing = _first_missing(mark, upto)
        if missing is None:
            mark, cursor.gap_id, cursor.gap_seen_at = max(mark, upto), None, None
            break
        if cursor.gap_id == missing and cursor.gap_seen_at and now - cursor.gap_seen_at >= GAP_GRACE:
            log_.warning("%s: event ids from %s never committed; stepping over them", cursor.name, missing)
            mark = Event.objects.filter(pk__gt=missing).aggregate(first=Min("pk"))["first"] or upto
            cursor.gap_id, cursor.gap_seen_at = None, None
            continue
        if cursor.gap_id != missing:
            cursor.gap_id, cursor.gap_seen_at = missing, now
        mark = missing - 1
        break
    cursor.last_event_id = mark
