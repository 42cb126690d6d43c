"""Resilience (issue 4, point 4): concurrent writers, an import killed half-way, a worker
killed mid-task. The subprocess tests need PostgreSQL (and RabbitMQ) and skip without them;
every child process is killed after a bounded time.

The fifth point, "an attachment write that fails leaves no half-created case", is covered in
test_actions.py (test_a_failing_photo_write_leaves_no_half_created_case and
test_a_failing_photo_write_during_report_back_rolls_the_action_back). Database outages
(503 + Retry-After, recovery) are in civicgrid/core/tests/test_db_unavailable.py.
"""

import collections
import csv
import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from civicgrid.cases import actions
from civicgrid.cases.choices import CaseStatus, NotificationKind
from civicgrid.cases.errors import Conflict, TransitionNotAllowed
from civicgrid.cases.models import Case, Notification
from civicgrid.core.choices import Role
from civicgrid.testing import resilience

from .factories import advance, duty, make_case

WRITERS = 50


def _race(users: list[Any], act: Callable[[Any], Case]) -> list[Any]:
    """Run act(user) for every user at the same instant, one thread (and connection) each;
    returns each outcome: the resulting Case, "conflict", or the repr of any other error."""
    barrier = threading.Barrier(len(users), timeout=60)
    outcomes: list[Any] = []
    refusals: list[str] = []
    lock = threading.Lock()

    def attempt(user: Any) -> None:
        try:
            barrier.wait()
            outcome: Any = act(user)
        except (Conflict, TransitionNotAllowed) as exc:
            outcome = "conflict"
            with lock:
                refusals.append(str(exc))  # shown when the count is off: a version, or a busy database
        except Exception as exc:  # anything else is a bug: keep it so the assertion shows it
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(u,), daemon=True) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    if sum(1 for o in outcomes if o != "conflict") != 1:
        print("refusals:", collections.Counter(refusals))
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_fifty_conflicting_dispatches_exactly_one_wins(world):
    duty(world)
    case = advance(world, make_case(world), CaseStatus.FILED)
    events_before = case.events.count()
    users = [world.user("east", Role.DISPATCHER), world.user("east", Role.ADMIN)] * (WRITERS // 2)
    outcomes = _race(users, lambda u: actions.run_action(case.pk, "dispatch", u, {"version": case.version}))
    won = [o for o in outcomes if isinstance(o, Case)]
    assert len(won) == 1 and sorted(o for o in outcomes if not isinstance(o, Case)) == ["conflict"] * (
        WRITERS - 1
    )
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == CaseStatus.DISPATCHED and fresh.version == case.version + 1 == won[0].version
    assert fresh.events.count() == events_before + 1
    assert fresh.events.filter(action="dispatch").count() == 1
    assert fresh.assignments.count() == 1
    assert list(fresh.events.order_by("-pk").values_list("to_status", flat=True)[:1]) == [
        CaseStatus.DISPATCHED
    ]


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_comments_are_all_kept(world):
    case = make_case(world)
    events_before = case.events.count()
    users = [world.user("east", Role.DISPATCHER), world.user("east", Role.ADMIN)] * (WRITERS // 2)
    counter = iter(range(WRITERS))
    notes = {}

    def comment(user: Any) -> Case:
        note = f"第 {next(counter)} 条备注"
        result = actions.run_action(case.pk, "comment", user, {"note": note})
        notes[result.version] = note
        return result

    outcomes = _race(users, comment)
    assert all(isinstance(o, Case) for o in outcomes), outcomes
    # No lost update: each writer got its own version, in one unbroken sequence.
    assert sorted(o.version for o in outcomes) == list(range(case.version + 1, case.version + 1 + WRITERS))
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.version == case.version + WRITERS
    comments = fresh.events.filter(action="comment")
    assert comments.count() == WRITERS and fresh.events.count() == events_before + WRITERS
    assert set(comments.values_list("note", flat=True)) == set(notes.values())


@pytest.mark.django_db
def test_a_redelivered_deadline_check_notifies_once(world, django_capture_on_commit_callbacks, time_machine):
    """Celery redelivers a task whose worker died before the ack (acks_late): the task body and
    its on-commit notifications run twice; the notification keys keep it to one per user."""
    from civicgrid.cases import tasks

    duty(world)
    case = advance(world, make_case(world), CaseStatus.DISPATCHED)
    time_machine.move_to(case.handling_due_at + dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.check_deadlines.apply().get()
    sent = Notification.objects.filter(case=case, kind=NotificationKind.OVERDUE)
    first = sorted(sent.values_list("user_id", flat=True))
    assert first, "the overdue check notified nobody"
    assert len(first) == len(set(first))
    # The redelivery: the same task and the same side effects again.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.check_deadlines.apply().get()
    for callback in callbacks:
        callback()
    assert sorted(sent.values_list("user_id", flat=True)) == first
    assert case.events.filter(action="overdue").count() <= 1


# ---------------------------------------------------------------------------- subprocesses

HEADERS = [
    "工单编号",
    "受理时间",
    "诉求类型",
    "问题分类",
    "诉求内容",
    "事发地址",
    "联系人",
    "联系电话",
    "经度",
    "纬度",
]
IMPORT_ROWS = 600  # several transactions of IMPORT_BATCH rows, so the kill lands between commits
IMPORT_BATCH = "100"


def _write_import_file(path: Path, rows: int) -> list[str]:
    from civicgrid.demo.builder import build_plan

    buildings = build_plan().buildings
    ids = []
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for i in range(rows):
            b = buildings[(i * 7) % len(buildings)]
            ext = f"RESIL-{i:05d}"
            ids.append(ext)
            # Every other row is located by its address only, the rest by coordinates.
            lon, lat = ("", "") if i % 2 else (b.lon, b.lat)
            when = f"2026-03-{2 + i % 20:02d} {8 + i % 10:02d}:{i % 60:02d}"
            writer.writerow(
                [
                    ext,
                    when,
                    "投诉",
                    "E2105",
                    f"楼上夜间噪声扰民（{i}）",
                    b.address,
                    "王先生",
                    "13800000000",
                    lon,
                    lat,
                ]
            )
    return ids


@pytest.mark.postgres
def test_an_import_killed_half_way_and_rerun_has_every_case_once(tmp_path, settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("runs in the PostgreSQL pass (it builds its own throwaway database)")
    with resilience.throwaway_postgres() as url:
        env = resilience.child_env(url, tmp_path / "var")
        env["CIVICGRID_IMPORT_BATCH_ROWS"] = IMPORT_BATCH
        resilience.migrate(env)
        resilience.manage(env, "load_demo", "--no-cases", "--quiet")
        ids = _write_import_file(tmp_path / "12345.csv", IMPORT_ROWS)
        count_sql = "select count(*) from cases_case where source = '12345'"

        def imported() -> int:
            return int(resilience.query(url, count_sql)[0][0])

        child = resilience.start(env, "manage.py", "import_12345", str(tmp_path / "12345.csv"))
        try:
            resilience.wait_until(
                lambda: imported() >= IMPORT_ROWS // 5 or child.poll() is not None, 120, 0.02
            )
        finally:
            resilience.stop(child)  # SIGKILL: no cleanup, no final commit
        at_kill = imported()
        assert 0 < at_kill < IMPORT_ROWS, f"the kill came too late or too early ({at_kill} cases)"

        rerun = resilience.manage(env, "import_12345", str(tmp_path / "12345.csv"))
        summary = rerun.stdout.strip().splitlines()[-1]
        assert summary == f"created={IMPORT_ROWS - at_kill} updated=0 unchanged={at_kill} failed=0"

        assert imported() == IMPORT_ROWS
        stored = [
            r[0] for r in resilience.query(url, "select external_id from cases_case where source = '12345'")
        ]
        assert sorted(stored) == sorted(ids)  # every row present, none twice
        per_case = resilience.query(
            url,
            "select c.external_id, count(e.id) from cases_case c "
            "left join cases_caseevent e on e.case_id = c.id and e.action = 'create' "
            "where c.source = '12345' group by c.external_id having count(e.id) <> 1",
        )
        assert per_case == []  # exactly one 'create' event per case
        numbers = resilience.query(url, "select count(distinct number), count(*) from cases_case")
        assert numbers[0][0] == numbers[0][1]  # no case number handed out twice
        # A third run changes nothing.
        again = resilience.manage(env, "import_12345", str(tmp_path / "12345.csv"))
        assert (
            again.stdout.strip().splitlines()[-1] == f"created=0 updated=0 unchanged={IMPORT_ROWS} failed=0"
        )
