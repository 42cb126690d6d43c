"""Every committed write to a case logs its domain event (core.Event) in the same transaction,
and its timeline row is the view of it: an action, a system mark, a creation, a source update,
a close that takes merged followers along, a merge, a bulk import chunk. Nothing for a write
that rolled back."""

import datetime as dt

import pytest
from django.db import transaction

from civicgrid.cases import actions, bulk
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.core.choices import Role
from civicgrid.core.models import Event

from .factories import advance, duty, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    duty(world)
    duty(world, "west")
    return world


def assert_logged(case: Case) -> None:
    """Each timeline row of `case` has its own event, naming the same write."""
    rows = list(case.events.select_related("event").order_by("pk"))
    assert rows and all(row.event is not None for row in rows)
    for row in rows:
        e = row.event
        assert (e.app, e.object_type, e.object_id, e.action) == ("cases", "case", case.pk, row.action)
        assert (e.street_id, e.at, e.actor_label) == (case.street_id, row.at, row.actor_label)
    assert Event.objects.filter(app="cases", object_id=case.pk).count() == len(rows)


def test_an_action_logs_its_event_with_the_version_it_wrote(w):
    case = make_case(w, channel="phone")  # a call to the desk: its reporter is told
    created = case.events.get().event
    assert created.version == 1
    assert [n["kind"] for n in created.payload["notify"]] == ["case_received"]
    desk = w.user("east", Role.DISPATCHER)
    case = actions.run_action(case.pk, "file", desk, {})
    logged = case.events.get(action="file").event
    assert logged.version == case.version == 2
    assert logged.actor_id == desk.pk and logged.actor_label == str(desk)
    # Filing tells only the reporter (its public status changed), no staff member.
    assert [n["audience"] for n in logged.payload["notify"]] == [{"reporter": True}]
    assert_logged(case)


def test_a_rolled_back_action_logs_nothing(w):
    case = make_case(w)
    before = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.run_action(case.pk, "file", w.user("east", Role.DISPATCHER), {})
        raise RuntimeError("the caller's transaction fails after the action")
    assert Event.objects.count() == before


def test_the_overdue_mark_is_a_logged_system_write(w, time_machine):
    case = advance(w, make_case(w), CaseStatus.DISPATCHED)
    time_machine.move_to(case.handling_due_at + dt.timedelta(hours=1))
    assert actions.check_deadlines()["overdue"] == 1
    logged = Event.objects.get(object_id=case.pk, action="overdue")
    assert logged.actor_id is None and logged.actor_label == "系统"
    # Every write bumped the version once, and each event names the version its write made.
    versions = Event.objects.filter(object_id=case.pk).order_by("pk").values_list("version", flat=True)
    assert list(versions) == list(range(1, Case.objects.get(pk=case.pk).version + 1))
    # Its notices travel in the event: the units and the street's desk.
    assert [n["audience"] for n in logged.payload["notify"]] == [
        {"units": [w.east.unit.pk]},
        {"desk": w.east.street.pk},
    ]
    assert_logged(case)


def test_a_source_update_is_logged(w):
    data = CaseInput(
        request_type="complaint", category="E2105", description="噪声", channel="hotline",
        address="东路11号", source="12345", external_id="A1",
    )  # fmt: skip
    case = actions.create_case(data, None)
    data.description = "噪声，夜间尤甚"
    case, changed = actions.update_from_source(case, data, "fp2")
    assert changed == ["description", "title"]
    assert Event.objects.get(object_id=case.pk, action="update").version == case.version == 2
    assert_logged(case)


def test_closing_a_master_logs_the_followers_close_and_a_merge_logs_the_masters_comment(w):
    master = advance(w, make_case(w), CaseStatus.FILED)
    child = make_case(w, description="楼上噪声很大")
    child = actions.run_action(child.pk, "merge", w.user("east", Role.DISPATCHER), {"master": master.number})
    # The master's version moved with its timeline row (the merge bumps it in the database).
    assert (
        Event.objects.get(object_id=master.pk, action="comment").version
        == Case.objects.get(pk=master.pk).version
    )
    master = advance(w, master, CaseStatus.VERIFIED)
    actions.run_action(master.pk, "close", w.user("east", Role.DISPATCHER), {})
    child = Case.objects.get(pk=child.pk)
    assert Event.objects.get(object_id=child.pk, action="close").version == child.version
    assert_logged(master)
    assert_logged(child)


def test_a_bulk_import_chunk_logs_one_event_per_case(w, django_capture_on_commit_callbacks):
    items = [
        (
            CaseInput(
                request_type="complaint", category="E2105", description="噪声扰民", channel="hotline",
                lon=w.east.grids[0].shape.centroid.x, lat=w.east.grids[0].shape.centroid.y,
                source="12345", external_id=f"EV-{i}",
            ),
            f"fp{i}",
        )
        for i in range(5)
    ]  # fmt: skip
    with django_capture_on_commit_callbacks() as callbacks:
        created = bulk.create_cases_bulk(items)
    assert len(callbacks) == 1  # one kick for the chunk
    for one in created:
        case = Case.objects.get(pk=one.pk)
        assert Event.objects.get(object_id=case.pk).version == 1
        assert_logged(case)
    assert CaseEvent.objects.filter(case_id__in=[c.pk for c in created], event__isnull=True).count() == 0
