import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from civicgrid.cases import actions
from civicgrid.cases.choices import CaseStatus, Urgency
from civicgrid.cases.models import Category, Notification, Supervision
from civicgrid.cases.tasks import check_deadlines as check_deadlines_task
from civicgrid.core.choices import Role
from civicgrid.core.models import Holiday
from civicgrid.profiles.actions import save_profile
from civicgrid.testing.factories import UserFactory

from .factories import advance, duty, make_case

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def end_of(y, m, d):
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=SH)


@pytest.mark.parametrize(
    ("request_type", "received", "handling_due"),
    [
        # 1 working day; 10-01..10-07 off, so the next working day after 9-30 is 10-08.
        ("inquiry", at(2026, 9, 30, 10, 0), end_of(2026, 10, 8)),
        ("suggestion", at(2026, 9, 19, 15, 0), end_of(2026, 9, 20)),  # Sat → the make-up Sunday 9-20
        ("inquiry", at(2026, 10, 9, 23, 59), end_of(2026, 10, 10)),  # Fri late → the make-up Saturday 10-10
        # 5 working days: 9-29, 9-30, 10-08, 10-09, 10-10 (make-up Saturday).
        ("complaint", at(2026, 9, 28, 10, 0), end_of(2026, 10, 10)),
        ("help", at(2026, 9, 28, 10, 0), end_of(2026, 10, 10)),
        ("report", at(2026, 10, 1, 8, 0), end_of(2026, 10, 13)),  # 10-08, 09, 10, 12, 13
    ],
)
def test_working_day_limits_across_national_day(world, request_type, received, handling_due):
    case = make_case(world, request_type=request_type, received_at=received)
    assert case.handling_due_at == handling_due
    assert case.handling_due_at.isoformat().endswith("+08:00")


def test_emergency_categories_run_on_calendar_hours(world):
    received = at(2026, 10, 3, 2, 0)  # a holiday night: emergencies do not wait for working days
    case = make_case(world, category="E0401", received_at=received)
    assert Category.objects.get(code="E0401").emergency
    assert case.response_due_at == received + dt.timedelta(minutes=30)
    assert case.handling_due_at == received + dt.timedelta(hours=2)


def test_category_and_urgency_override_the_request_type(world):
    category = Category.objects.get(code="E21")
    category.handling_working_days = 10
    category.save()
    received = at(2026, 11, 2, 9, 0)  # Monday
    case = make_case(world, received_at=received)  # E2105 inherits 10 days from E21
    assert case.handling_due_at == end_of(2026, 11, 16)
    urgent = make_case(world, received_at=received, urgency=Urgency.URGENT)
    assert urgent.response_due_at == received + dt.timedelta(minutes=120)
    assert urgent.handling_due_at == end_of(2026, 11, 4)


def test_settings_change_the_defaults(world):
    # The time limits are the street profile's (civicgrid/profiles/tests cover it in full).
    root = UserFactory(username="root", role=Role.ADMIN, is_superuser=True)
    save_profile(world.district, root, {"cases.handling_working_days": {"complaint": 2}})
    case = make_case(world, received_at=at(2026, 11, 2, 9, 0))
    assert case.handling_due_at == end_of(2026, 11, 4)


def test_2027_follows_the_admin_holiday_table(world):
    received = at(2026, 12, 31, 10, 0)  # Thursday
    assert make_case(world, request_type="inquiry", received_at=received).handling_due_at == end_of(
        2027, 1, 1
    )
    Holiday.objects.create(date=dt.date(2027, 1, 1), is_workday=False, name="元旦")
    assert make_case(world, request_type="inquiry", received_at=received).handling_due_at == end_of(
        2027, 1, 4
    )
    Holiday.objects.create(date=dt.date(2027, 1, 2), is_workday=True, name="调休上班")
    assert make_case(world, request_type="inquiry", received_at=received).handling_due_at == end_of(
        2027, 1, 2
    )


def test_check_deadlines_marks_supervises_notifies_once(
    world, time_machine, django_capture_on_commit_callbacks
):
    duty(world)
    time_machine.move_to(at(2026, 11, 2, 9, 0))
    late = advance(world, make_case(world), CaseStatus.IN_PROGRESS)
    fresh = make_case(world, received_at=at(2026, 11, 9, 9, 0))
    time_machine.move_to(at(2026, 11, 10, 9, 0))  # late's 5 working days ended on 11-09
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.check_deadlines() == {"overdue": 1, "response_overdue": 0, "due_soon": 0}
    late.refresh_from_db()
    assert late.is_overdue and late.events.last().action == "overdue"
    record = Supervision.objects.get(case=late)
    assert record.kind == "overdue" and record.unit == world.east.unit
    handler = world.user("east", Role.HANDLER)
    assert Notification.objects.filter(user=handler, case=late, kind="overdue").count() == 1
    assert Notification.objects.filter(user=world.user("east", Role.DISPATCHER), kind="overdue").count() == 1
    sent = Notification.objects.filter(
        kind="overdue"
    ).count()  # the unit's handler, the desk's dispatcher+admin
    assert sent == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.check_deadlines() == {"overdue": 0, "response_overdue": 0, "due_soon": 0}  # idempotent
    assert Supervision.objects.count() == 1 and Notification.objects.filter(kind="overdue").count() == sent
    fresh.refresh_from_db()
    assert not fresh.is_overdue


def test_response_overdue_is_supervised_once(world, time_machine):
    time_machine.move_to(at(2026, 11, 2, 9, 0))
    case = make_case(world)
    time_machine.move_to(at(2026, 11, 4, 9, 0))  # response due end of 11-03, nobody signed or called
    assert actions.check_deadlines()["response_overdue"] == 1
    assert actions.check_deadlines()["response_overdue"] == 0
    assert Supervision.objects.get(case=case).kind == "response_overdue"


def test_approved_extension_lifts_the_overdue_flag(world, time_machine):
    duty(world)
    time_machine.move_to(at(2026, 11, 2, 9, 0))
    case = advance(world, make_case(world), CaseStatus.IN_PROGRESS)
    time_machine.move_to(at(2026, 11, 10, 9, 0))
    actions.check_deadlines()
    handler, desk = world.user("east", Role.HANDLER), world.user("east", Role.DISPATCHER)
    actions.run_action(case.pk, "request_extension", handler, {"working_days": 5, "reason": "需要协调"})
    case = actions.run_action(case.pk, "approve_extension", desk, {})
    assert not case.is_overdue and case.handling_due_at == end_of(2026, 11, 16)


def test_command_and_celery_task(world, time_machine):
    time_machine.move_to(at(2026, 11, 2, 9, 0))
    make_case(world)
    from io import StringIO

    out = StringIO()
    call_command("check_deadlines", "--now", "2026-11-20T09:00:00+08:00", stdout=out)
    assert out.getvalue().strip() == "overdue=1 response_overdue=1 due_soon=0"
    assert check_deadlines_task.delay().get() == {"overdue": 0, "response_overdue": 0, "due_soon": 0}
