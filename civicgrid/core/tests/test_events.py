"""The domain event log's reader (core.events): batches in id order behind a per-consumer
watermark that advances with the handler's writes, never the same batch in two workers, and
one kick per transaction."""

import contextlib
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from civicgrid.core import clock, events
from civicgrid.core.models import Event, EventCursor
from civicgrid.testing.concurrency import run_together

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nobody_else_writes(monkeypatch):
    """A PostgreSQL server shared with other test runs always has someone writing; these tests
    say when someone is (the hole test does)."""
    latest = events._latest_event
    monkeypatch.setattr(events, "_latest_event", lambda: (latest()[0], False))
    return latest


def write(n: int, app: str = "toy", action: str = "poke") -> list[int]:
    return [Event.objects.create(**events.row(app, "thing", i, action, street_id=1)).pk for i in range(n)]


def test_a_consumer_reads_what_it_wants_in_batches_and_in_order():
    ids = write(7)
    write(3, app="other")
    seen: list[list[int]] = []
    consumer = events.Consumer(
        "test.toy",
        lambda batch: seen.append([e.pk for e in batch.events]),
        apps=frozenset({"toy"}),
        batch_size=3,
    )
    report = events.run(consumer)
    assert [pk for batch in seen for pk in batch] == ids
    assert all(len(batch) <= 3 for batch in seen)
    assert (
        report.watermark
        == EventCursor.objects.get(pk="test.toy").last_event_id
        == Event.objects.latest("pk").pk
    )
    seen.clear()
    events.run(consumer)
    assert seen == []  # nothing new
    more = write(2)
    events.run(consumer)
    assert seen == [more]


def test_a_failing_handler_leaves_the_watermark_and_the_next_run_handles_the_batch():
    write(3)
    calls: list[int] = []

    def handler(batch: events.Batch) -> None:
        calls.append(len(batch.events))
        Event.objects.create(**events.row("toy", "thing", 99, "written by the handler"))
        if len(calls) == 1:
            raise RuntimeError("the handler fails")

    consumer = events.Consumer("test.failing", handler, actions=frozenset({"poke"}))
    with pytest.raises(RuntimeError):
        events.run(consumer)
    # The handler's write rolled back with the batch: the watermark did not move.
    assert not Event.objects.filter(action="written by the handler").exists()
    assert EventCursor.objects.get(pk="test.failing").last_event_id == 0
    events.run(consumer)
    assert calls == [3, 3]


def test_one_kick_per_transaction(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(3):
            events.kick_on_commit()
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            events.kick_on_commit()
        with transaction.atomic():
            events.kick_on_commit()
    assert len(callbacks) == 2  # two transactions (here: savepoints of the test's), two kicks


def test_a_rolled_back_block_takes_its_kick_and_leaves_the_outer_one(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        events.kick_on_commit()
        with contextlib.suppress(RuntimeError), transaction.atomic():
            events.kick_on_commit()  # a kick of the inner block's own
            raise RuntimeError  # … gone with it
        events.kick_on_commit()  # the outer block's first kick still stands
        with transaction.atomic():
            events.kick_on_commit()
    assert len(callbacks) == 2  # the outer block's and the last inner block's


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_never_handle_the_same_event():
    ids = write(60)
    handled: list[int] = []

    def handler(batch: events.Batch) -> None:
        pks = [e.pk for e in batch.events]
        time.sleep(0.05)  # widen the window in which the other worker would step in
        handled.extend(pks)

    consumer = events.Consumer("test.concurrent", handler, batch_size=7)
    assert run_together(lambda: events.run(consumer), 2) == []
    assert sorted(handled) == ids  # each exactly once
    assert EventCursor.objects.get(pk="test.concurrent").last_event_id == ids[-1]


def test_a_hole_is_waited_for_then_stepped_over(monkeypatch, nobody_else_writes):
    seen: list[int] = []
    consumer = events.Consumer("test.hole", lambda batch: seen.extend(e.pk for e in batch.events))
    write(1)
    events.run(consumer)  # past the ids earlier tests used (PostgreSQL sequences are not reset)
    seen.clear()
    first, second, third = write(3)
    Event.objects.filter(pk=second).delete()  # not committed yet, as far as anyone can tell
    monkeypatch.setattr(events, "_latest_event", lambda: (nobody_else_writes()[0], True))  # a writer
    now = clock.now()
    events.run(consumer, now=now)
    cursor = EventCursor.objects.get(pk="test.hole")
    assert (cursor.last_event_id, cursor.gap_id) == (first, second)
    assert seen == [first, third]  # above the hole too, and again later: handlers are idempotent
    events.run(consumer, now=now + events.GAP_GRACE + timedelta(seconds=1))
    assert EventCursor.objects.get(pk="test.hole").last_event_id == third


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's writers in flight")
def test_a_writer_of_events_in_this_database_counts_and_one_in_another_does_not(nobody_else_writes):
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    table = Event._meta.db_table
    assert nobody_else_writes()[1] is False
    # Another site's database on the same server (a test worker's): its writers are not ours.
    with psycopg.connect(**{**params, "dbname": "postgres"}) as elsewhere:
        elsewhere.execute("CREATE TEMP TABLE busy (n int)")
        elsewhere.execute("INSERT INTO busy VALUES (1)")
        assert nobody_else_writes()[1] is False
        elsewhere.rollback()
    with psycopg.connect(**params) as here:
        here.execute(f"INSERT INTO {table} SELECT * FROM {table} LIMIT 0")
        assert nobody_else_writes()[1] is True  # an open INSERT, even of no row yet, may commit one
        here.rollback()
    assert nobody_else_writes()[1] is False


def test_the_command_runs_the_consumers(capsys: Any):
    from django.core.management import call_command

    call_command("consume_events")
    out = capsys.readouterr().out
    assert "webhooks:" in out and "cases.notifications:" in out and "insights.rollups" not in out
    call_command("consume_events", "--all")
    assert "insights.rollups:" in capsys.readouterr().out
