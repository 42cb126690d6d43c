"""The rollups give exactly the figures of cases.metrics (docs/metrics.md), stay exact as cases
move on (incremental refresh from the timeline), never count twice when refreshes overlap,
and respect the user's scope."""

import threading
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.tokens import issue
from civicgrid.cases import actions
from civicgrid.cases import metrics as live
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import (
    Assignment,
    Callback,
    Case,
    ExtensionRequest,
    Notification,
    Photo,
    Supervision,
)
from civicgrid.core import events
from civicgrid.core.choices import Role
from civicgrid.core.models import Event, EventCursor
from civicgrid.insights import metrics as insights
from civicgrid.insights import rollups
from civicgrid.insights.models import CaseRollup, CityRollup
from civicgrid.testing.concurrency import run_together

from .data import populate

SH = ZoneInfo("Asia/Shanghai")
GROUPS = list(live.GROUPS)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def generated(world, media):
    cases = populate(world, per_street=40)
    return world, cases


def superuser() -> User:
    return User.objects.create(username="city", role=Role.ADMIN, is_superuser=True, full_name="市级")


def periods(today: date) -> list[tuple[Any, Any]]:
    """No period, whole months, partial months at either end, a single day, open ends."""
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    three_back = (last_month - timedelta(days=40)).replace(day=1)
    return [
        (None, None),
        (three_back, this_month - timedelta(days=1)),  # whole months only
        (three_back + timedelta(days=9), today),  # partial first month, open end
        (last_month + timedelta(days=3), last_month + timedelta(days=20)),  # inside one month
        (three_back - timedelta(days=20), last_month + timedelta(days=13)),  # partial last month
        (today, today),
        (None, last_month.isoformat()),
        (this_month.isoformat(), None),
    ]


def assert_same(user: Any, now: Any, **filters: Any) -> None:
    group_by = filters.pop("group_by", None)
    if group_by is None:
        expected = live.summary(user, now=now, **filters)
        got = insights.summary(user, now=now, **filters)
    else:
        expected = live.compute(user, group_by=group_by, now=now, **filters)
        got = insights.compute(user, group_by=group_by, now=now, **filters)
    assert got == expected, (user.username, group_by, filters)


def test_rollups_give_the_figures_of_cases_metrics(generated):
    world, cases = generated
    report = rollups.refresh()
    assert report.ran and report.rows > 0
    statuses = {c.status for c in Case.objects.all()}
    assert {CaseStatus.CLOSED, CaseStatus.MERGED, CaseStatus.REOPENED, CaseStatus.REJECTED} <= statuses
    assert Case.objects.filter(is_overdue=True).exists() and Callback.objects.filter(contacted=False).exists()
    assert Case.objects.filter(lead_unit__isnull=True).exists()

    city = superuser()
    users = [city, world.user("east", Role.LEADER), world.user("west", Role.DISPATCHER)]
    now = timezone.now()
    today = timezone.localdate(now, SH)
    for user in users:
        for date_from, date_to in periods(today):
            for group_by in [None, *GROUPS]:
                assert_same(user, now, date_from=date_from, date_to=date_to, group_by=group_by)
            # The API's total is the sum of its groups: equal to summary() for every grouping.
            expected = live.summary(user, date_from=date_from, date_to=date_to, now=now)
            for group_by in GROUPS:
                rows = live.compute(user, date_from=date_from, date_to=date_to, group_by=group_by, now=now)
                assert live.total_of(rows) == expected, (user.username, group_by, date_from, date_to)
        for at in (now - timedelta(days=2), now + timedelta(days=3)):  # the response limit moves with now
            assert_same(user, at, group_by="grid")
            assert_same(user, at)
    east = world.east.street
    for street in (east, east.pk, east.code, world.west.street.code):
        assert_same(city, now, street=street, group_by="residential_area")
        assert_same(city, now, street=street)
    for category in ("E21", "E2105", "E"):
        assert_same(city, now, category=category, group_by="category")
        assert_same(city, now, category=category)
        assert_same(city, now, category=category, group_by="grid")  # answered live
        for group_by in ("category", "grid"):
            rows = live.compute(city, category=category, group_by=group_by, now=now)
            assert live.total_of(rows) == live.summary(city, category=category, now=now)


def test_street_wide_users_are_answered_from_the_rollups(generated, monkeypatch):
    world, _cases = generated
    rollups.refresh()
    leader = world.user("east", Role.LEADER)
    expected = live.compute(leader, group_by="unit")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("answered live")

    monkeypatch.setattr(insights.live, "compute", refuse)
    monkeypatch.setattr(insights.live, "summary", refuse)
    assert insights.compute(leader, group_by="unit") == expected
    this_month = timezone.localdate().replace(day=1)
    insights.summary(leader, date_from=this_month)  # "this month": whole, however far it has gone


def test_narrow_scopes_are_answered_live_and_stay_in_scope(generated):
    world, _cases = generated
    rollups.refresh()
    now = timezone.now()
    for role in (Role.HANDLER, Role.GRID_WORKER, Role.CADRE):
        user = world.user("east", role)
        for group_by in [None, "grid", "category"]:
            assert_same(user, now, group_by=group_by)


def test_a_refresh_picks_up_what_changed(generated):
    world, _cases = generated
    rollups.refresh()
    city = superuser()
    desk = world.user("east", Role.DISPATCHER)
    verified = Case.objects.filter(street=world.east.street, status=CaseStatus.HANDLED).first()
    assert verified is not None
    before = insights.summary(city)
    assert before == live.summary(city)

    actions.run_action(verified.pk, "verify_pass", desk, {})
    actions.run_action(verified.pk, "close", desk, {})
    actions.run_action(verified.pk, "callback", desk, {"resolution": "resolved", "satisfaction": "satisfied"})

    stale = insights.summary(city)
    assert stale["by_status"]["closed"] == before["by_status"]["closed"]  # not refreshed yet
    report = rollups.refresh()
    assert not report.full and report.events >= 3
    after = insights.summary(city)
    assert after == live.summary(city)
    assert after["by_status"]["closed"] == before["by_status"]["closed"] + 1
    assert after["on_time_closure_denominator"] == before["on_time_closure_denominator"] + 1
    assert after["resolution_denominator"] == before["resolution_denominator"] + 1
    assert report.buckets == 1  # only the case's (street, month) was recomputed


def test_events_of_the_cases_apps_other_models_recompute_nothing(generated):
    world, _cases = generated
    rollups.refresh()
    case = Case.objects.filter(street=world.west.street).first()
    assert case is not None
    # A patrol's event (cases.actions.patrol) whose id happens to be a case's.
    Event.objects.create(**events.row("cases", "patrol", case.pk, "patrol_start", street_id=case.street_id))
    report = rollups.refresh()
    assert report.buckets == 0 and report.rows == 0
    actions.run_action(case.pk, "comment", world.user("west", Role.DISPATCHER), {"note": "已电话联系"})
    assert rollups.refresh().buckets == 1  # the case's own events still do


def test_a_new_time_of_receipt_recomputes_the_whole_street(generated):
    world, _cases = generated
    rollups.refresh()
    city = superuser()
    case = Case.objects.filter(
        street=world.west.street, received_at__lt=timezone.now() - timedelta(days=60)
    ).first()
    assert case is not None
    # What a 12345 update does (cases.actions.update_from_source): the event names the field only.
    Case.objects.filter(pk=case.pk).update(received_at=timezone.now() - timedelta(hours=1))
    actions.record_event(case, "update", None, case.status, case.status, data={"fields": ["received_at"]})
    rollups.refresh()
    for group_by in ("street", "grid"):
        assert insights.compute(city, group_by=group_by) == live.compute(city, group_by=group_by)


def test_incremental_refreshes_equal_a_full_rebuild(generated):
    world, _cases = generated
    rollups.refresh()
    case = Case.objects.filter(street=world.east.street, status=CaseStatus.NEW).first()
    actions.run_action(case.pk, "file", world.user("east", Role.DISPATCHER), {})
    rollups.refresh()
    incremental = sorted(CaseRollup.objects.values_list(*_row_fields()))
    report = rollups.refresh(full=True)
    assert report.full
    assert sorted(CaseRollup.objects.values_list(*_row_fields())) == incremental


def _row_fields() -> list[str]:
    return [f.attname for f in CaseRollup._meta.concrete_fields if f.attname != "id"]


def watermark() -> EventCursor:
    return EventCursor.objects.get(pk=rollups.CONSUMER.name)


def test_the_watermark_waits_for_missing_events_then_steps_over(generated, monkeypatch):
    world, _cases = generated
    rollups.refresh()
    # Another transaction is writing: a missing id may still be committed.
    latest = events._latest_event
    monkeypatch.setattr(events, "_latest_event", lambda: (latest()[0], True))
    case = Case.objects.filter(street=world.east.street, status=CaseStatus.NEW).first()
    desk = world.user("east", Role.DISPATCHER)
    actions.run_action(case.pk, "comment", desk, {"note": "一"})
    actions.run_action(case.pk, "comment", desk, {"note": "二"})
    first, second = Event.objects.order_by("-pk")[:2][::-1]
    # An id whose transaction has not committed yet looks exactly like this: a hole below others.
    Event.objects.filter(pk=first.pk).delete()
    now = timezone.now()
    rollups.refresh(now=now)
    state = watermark()
    assert state.last_event_id == first.pk - 1 and state.gap_id == first.pk
    rollups.refresh(now=now + timedelta(minutes=1))
    assert watermark().last_event_id == first.pk - 1  # still waiting
    rollups.refresh(now=now + events.GAP_GRACE + timedelta(seconds=1))
    state = watermark()
    assert state.last_event_id == second.pk and state.gap_id is None
    monkeypatch.setattr(events, "_latest_event", latest)
    Event.objects.filter(pk=second.pk).delete()
    actions.run_action(case.pk, "comment", desk, {"note": "三"})
    rollups.refresh(now=now)  # nobody else writing: a hole is a rolled-back id, at once
    assert watermark().last_event_id == Event.objects.latest("pk").pk


def test_the_first_refresh_steps_over_ids_that_never_committed(generated):
    # Rolled-back transactions leave holes, even below the first event (PostgreSQL sequences).
    Event.objects.filter(pk=Event.objects.order_by("pk").first().pk).delete()
    rollups.refresh()
    assert watermark().last_event_id == Event.objects.latest("pk").pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_never_count_twice(world, media):
    populate(world, per_street=16)
    city = superuser()
    assert run_together(rollups.refresh, 3) == []
    assert insights.summary(city) == live.summary(city)
    assert insights.compute(city, group_by="category") == live.compute(city, group_by="category")
    buckets = list(CaseRollup.objects.values_list("street_id", "month", "dimension", "member"))
    assert len(buckets) == len(set(buckets))


@pytest.mark.django_db(transaction=True)
def test_a_busy_refresh_is_skipped_when_asked_not_to_wait():
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises writers instead)")
    EventCursor.objects.get_or_create(pk=rollups.CONSUMER.name)
    done: list[Any] = []

    def other() -> None:
        done.append(rollups.refresh(wait=False))
        connection.close()

    with transaction.atomic(), connection.cursor() as cursor:  # hold the lock as a running refresh does
        cursor.execute("SELECT 1 FROM core_eventcursor WHERE name = 'insights.rollups' FOR UPDATE")
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=60)
    assert done and not done[0].ran
    assert rollups.refresh(wait=False).ran


# ---------------------------------------------------------------------------- API and scope


def test_the_insights_api_answers_like_the_metrics_api_within_the_scope(generated, client):
    world, _cases = generated
    rollups.refresh()
    leader = world.user("east", Role.LEADER)
    headers = {"Authorization": f"Bearer {issue(leader).key}"}
    for params in ({}, {"group_by": "grid"}, {"group_by": "category", "category": "E21"}):
        mine = client.get("/api/v1/insights/metrics", params, headers=headers)
        theirs = client.get("/api/v1/metrics", params, headers=headers)
        assert mine.status_code == theirs.status_code == 200
        body = mine.json()
        assert body.pop("as_of")["last_event_id"] == watermark().last_event_id
        assert body == theirs.json()
    streets = {
        row["code"] for row in client.get("/api/v1/insights/metrics", headers=headers).json()["results"]
    }
    assert streets == {world.east.street.code}
    # Asking for the other street gives nothing of it, not even whether its code exists.
    west = client.get("/api/v1/insights/metrics", {"street": world.west.street.code}, headers=headers)
    assert west.status_code == 400 and west.json()["error"]["fields"] == {"street": "unknown"}
    bad = client.get("/api/v1/insights/metrics", {"group_by": "planet"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["fields"] == {"group_by": "invalid_choice"}
    bad = client.get("/api/v1/insights/metrics", {"from": "2026-03-05", "to": "2026-03-01"}, headers=headers)
    assert bad.status_code == 400 and "from" in bad.json()["error"]["fields"]
    assert client.get("/api/v1/insights/metrics").status_code == 401


def test_rollup_rows_are_restricted_by_street(generated):
    world, _cases = generated
    rollups.refresh()
    east_leader = world.user("east", Role.LEADER)
    visible = set(CaseRollup.objects.restrict(east_leader, "view").values_list("street_id", flat=True))
    assert visible == {world.east.street.pk}
    assert not CaseRollup.objects.restrict(world.user("east", Role.HANDLER), "view").exists()
    assert not CaseRollup.objects.restrict(world.user("east", Role.GRID_WORKER), "view").exists()


# ---------------------------------------------------------------------------- street on hot tables


def test_every_row_hanging_off_a_case_carries_its_street(generated, django_capture_on_commit_callbacks):
    world, cases = generated
    with django_capture_on_commit_callbacks(execute=True):
        case = Case.objects.filter(status=CaseStatus.DISPATCHED).first()
        actions.run_action(
            case.pk, "supervise", world.user(case_street(world, case), Role.LEADER), {"note": "抓紧"}
        )
    for model in (Assignment, Photo, Callback, Supervision, ExtensionRequest, Notification):
        rows = model.objects.filter(case__isnull=False)
        assert rows.exists(), model.__name__
        assert not rows.exclude(street_id=F("case__street_id")).exists(), model.__name__


def case_street(world: Any, case: Case) -> str:
    return "east" if case.street_id == world.east.street.pk else "west"


def test_city_wide_readings_by_category_and_unit_read_the_city_rows(generated, monkeypatch):
    world, _cases = generated
    rollups.refresh()
    city = superuser()
    expected = {g: live.compute(city, group_by=g) for g in ("category", "unit")}
    assert CityRollup.objects.filter(dimension="category").exists()
    # The street rows are not read for these: a city-wide reading sums one row per member and month.
    real_restrict = CaseRollup.objects.restrict

    def no_street_rows(user: Any, action: str = "view") -> Any:
        raise AssertionError("read the per-street rows")

    monkeypatch.setattr(CaseRollup.objects, "restrict", no_street_rows)
    for group_by, rows in expected.items():
        assert insights.compute(city, group_by=group_by) == rows
    monkeypatch.setattr(CaseRollup.objects, "restrict", real_restrict)
    # A street leader never reads city rows (it sees one street), and gets its own figures.
    leader = world.user("east", Role.LEADER)
    assert CityRollup.objects.restrict(leader, "view").count() == 0
    assert insights.compute(leader, group_by="category") == live.compute(leader, group_by="category")


def test_city_rows_follow_incremental_refreshes(generated):
    world, _cases = generated
    rollups.refresh()
    case = Case.objects.filter(street=world.west.street, status=CaseStatus.NEW).first()
    actions.run_action(case.pk, "file", world.user("west", Role.DISPATCHER), {})
    rollups.refresh()
    fields = [f.attname for f in CityRollup._meta.concrete_fields if f.attname != "id"]
    incremental = sorted(CityRollup.objects.values_list(*fields))
    rollups.refresh(full=True)
    assert sorted(CityRollup.objects.values_list(*fields)) == incremental
    city = superuser()
    assert insights.compute(city, group_by="category") == live.compute(city, group_by="category")
