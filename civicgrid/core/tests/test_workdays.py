"""The working-day calendar: chinesecalendar for 2026, the admin holiday table for 2027 on.

Every expected date below was counted by hand from the State Council 2026 schedule as the
installed chinesecalendar records it: 中秋节 2026-09-25..27 off, 国庆节 2026-10-01..07 off,
make-up working days Sunday 2026-09-20 and Saturday 2026-10-10.
"""

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from civicgrid.core import workdays
from civicgrid.core.choices import Role
from civicgrid.core.models import Holiday
from civicgrid.core.workdays import (
    SHANGHAI,
    Coverage,
    add_working_days,
    calendar_hours_deadline,
    coverage_warning,
    is_working_day,
    working_day_deadline,
    working_days_between,
    year_coverage,
)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    # Test databases roll back without signals; start and end every test with an empty cache.
    workdays._dirty_years().clear()
    workdays.invalidate()
    yield
    workdays._dirty_years().clear()
    workdays.invalidate()


def end_of(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=SHANGHAI)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


# --- what the package says about 2026 ---------------------------------------------------


def test_installed_chinesecalendar_has_the_2026_schedule():
    off = [date(2026, 9, d) for d in (25, 26, 27)] + [date(2026, 10, d) for d in range(1, 8)]
    for d in off:
        assert not chinese_calendar.is_workday(d), d
    for d in (date(2026, 9, 20), date(2026, 10, 10)):
        assert d.weekday() >= 5 and chinese_calendar.is_workday(d), d
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


@pytest.mark.django_db
def test_is_working_day_2026_follows_the_package():
    assert is_working_day(date(2026, 9, 20))  # Sunday, make-up
    assert is_working_day(date(2026, 10, 10))  # Saturday, make-up
    assert not is_working_day(date(2026, 10, 11))  # ordinary Sunday
    assert not is_working_day(date(2026, 9, 25))  # Friday, 中秋节
    assert all(not is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert is_working_day(date(2026, 10, 8)) and is_working_day(date(2026, 9, 30))


# --- N working days across the 2026 holidays ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("received", "n", "due"),
    [
        # The day before National Day: 10-01..07 off, so the first working day is 10-08.
        (sh(2026, 9, 30, 10, 0), 1, date(2026, 10, 8)),
        # A Saturday receipt: the next day is the make-up Sunday.
        (sh(2026, 9, 19, 9, 0), 1, date(2026, 9, 20)),
        # A Friday receipt: the next day is the make-up Saturday.
        (sh(2026, 10, 9, 15, 0), 1, date(2026, 10, 10)),
        # 10-08, 10-09, 10-10 (Sat, make-up), [10-11 Sunday off], 10-12, 10-13.
        (sh(2026, 9, 30, 10, 0), 5, date(2026, 10, 13)),
        # Thursday before 中秋节 (Fri 09-25 .. Sun 09-27 off).
        (sh(2026, 9, 24, 8, 0), 1, date(2026, 9, 28)),
        # 09-28, 09-29, 09-30, [10-01..07], 10-08, 10-09.
        (sh(2026, 9, 24, 8, 0), 5, date(2026, 10, 9)),
        # Received on a holiday: 10-08, 10-09, 10-10.
        (sh(2026, 10, 3, 12, 0), 3, date(2026, 10, 10)),
        # 15 (the extension ceiling): 09-20, 21, 22, 23, 24, 28, 29, 30, 10-08, 09, 10, 12, 13, 14, 15.
        (sh(2026, 9, 18, 17, 0), 15, date(2026, 10, 15)),
        # n = 0: the end of the day of receipt, even on a holiday.
        (sh(2026, 10, 2, 9, 0), 0, date(2026, 10, 2)),
    ],
)
def test_working_day_deadline_2026(received, n, due):
    result = working_day_deadline(received, n)
    assert result == end_of(due)
    assert result.utcoffset() == timedelta(hours=8)
    assert result.isoformat() == f"{due.isoformat()}T23:59:59+08:00"


@pytest.mark.django_db
def test_receipt_late_at_night_still_starts_counting_the_next_day():
    assert working_day_deadline(sh(2026, 9, 28, 23, 59), 1) == end_of(date(2026, 9, 29))
    assert working_day_deadline(sh(2026, 9, 28, 23, 59, 59), 1) == end_of(date(2026, 9, 29))
    assert working_day_deadline(sh(2026, 9, 29, 0, 0), 1) == end_of(date(2026, 9, 30))


@pytest.mark.django_db
def test_naive_input_is_shanghai_time_and_aware_input_is_converted():
    assert working_day_deadline(datetime(2026, 10, 9, 23, 30), 1) == end_of(date(2026, 10, 10))
    # 16:30 UTC on Friday 10-09 is 00:30 on Saturday 10-10 in Shanghai: the receipt day is the
    # make-up Saturday, so one working day later is Monday 10-12 (not 10-10).
    received = datetime(2026, 10, 9, 16, 30, tzinfo=UTC)
    result = working_day_deadline(received, 1)
    assert result == end_of(date(2026, 10, 12))
    assert result == datetime(2026, 10, 12, 15, 59, 59, tzinfo=UTC)
    # 15:30 UTC is still Friday 23:30 in Shanghai.
    assert working_day_deadline(datetime(2026, 10, 9, 15, 30, tzinfo=UTC), 1) == end_of(date(2026, 10, 10))


@pytest.mark.django_db
def test_add_working_days_and_bad_n():
    assert add_working_days(date(2026, 9, 30), 0) == date(2026, 9, 30)
    assert add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 9)
    assert add_working_days(date(2026, 9, 19), 2) == date(2026, 9, 21)
    with pytest.raises(ValueError):
        working_day_deadline(sh(2026, 9, 30, 10, 0), -1)


@pytest.mark.django_db
def test_working_days_between_counts_days_late():
    deadline = end_of(date(2026, 9, 30))
    # Closed on 10-10 (make-up Saturday): 10-08, 10-09, 10-10 → 3 working days late.
    assert working_days_between(deadline, sh(2026, 10, 10, 9, 0)) == 3
    # Closed during the holiday: not a working day late yet.
    assert working_days_between(deadline, sh(2026, 10, 7, 18, 0)) == 0
    assert working_days_between(deadline, sh(2026, 10, 12, 9, 0)) == 4  # 10-11 Sunday not counted
    # On time, or the same day: zero.
    assert working_days_between(deadline, sh(2026, 9, 30, 23, 0)) == 0
    assert working_days_between(deadline, sh(2026, 9, 28, 9, 0)) == 0
    # Days are Shanghai days: 16:30 UTC on 10-09 is already 10-10 in Shanghai.
    assert working_days_between(deadline, datetime(2026, 10, 9, 16, 30, tzinfo=UTC)) == 3
    assert working_days_between(deadline, datetime(2026, 10, 9, 15, 30, tzinfo=UTC)) == 2


def test_calendar_hours_deadline_ignores_holidays():
    received = datetime(2026, 10, 1, 10, 0)  # naive: Shanghai; a holiday makes no difference
    assert calendar_hours_deadline(received, minutes=30) == sh(2026, 10, 1, 10, 30)
    assert calendar_hours_deadline(received, hours=2) == sh(2026, 10, 1, 12, 0)
    late = calendar_hours_deadline(sh(2026, 9, 30, 23, 0), hours=2)
    assert late == sh(2026, 10, 1, 1, 0) and late.utcoffset() == timedelta(hours=8)
    utc = calendar_hours_deadline(datetime(2026, 9, 30, 15, 30, tzinfo=UTC), hours=1, minutes=15)
    assert utc == sh(2026, 10, 1, 0, 45) and utc.tzinfo == SHANGHAI
    with pytest.raises(ValueError):
        calendar_hours_deadline(received)


# --- 2027: no package data -----------------------------------------------------------------


@pytest.mark.django_db
def test_2027_without_table_rows_counts_weekends_only_and_warns():
    assert year_coverage(2027) == Coverage.WEEKENDS_ONLY == "weekends_only"
    assert coverage_warning(2027) == (
        "2027 年的法定节假日安排尚未录入，工作日按周一至周五计算，请在“节假日”中录入。"
    )
    assert is_working_day(date(2027, 1, 1))  # Friday; New Year's Day not known
    assert not is_working_day(date(2027, 2, 7))  # Sunday
    # Thursday 2026-12-31 + 1 → Friday 2027-01-01; Friday 2027-02-05 + 1 → Monday 02-08.
    assert working_day_deadline(sh(2026, 12, 31, 9, 0), 1) == end_of(date(2027, 1, 1))
    assert working_day_deadline(sh(2027, 2, 5, 9, 0), 1) == end_of(date(2027, 2, 8))


@pytest.mark.django_db
def test_coverage_of_each_source():
    assert year_coverage(2026) == Coverage.PACKAGE == "package"
    assert year_coverage(2004) == Coverage.PACKAGE
    assert coverage_warning(2026) is None
    assert year_coverage(2003) == Coverage.WEEKENDS_ONLY
    assert year_coverage(2028) == Coverage.WEEKENDS_ONLY
    assert "2028 年" in coverage_warning(2028)
    Holiday.objects.create(date=date(2028, 1, 1), name="元旦")
    assert year_coverage(2028) == Coverage.TABLE == "table"
    assert coverage_warning(2028) is None
    assert year_coverage(2027) == Coverage.WEEKENDS_ONLY  # other years unaffected


@pytest.mark.django_db
def test_2027_deadlines_follow_the_admin_table():
    Holiday.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    Holiday.objects.create(date=date(2027, 2, 7), is_workday=True, name="春节", note="调休上班")
    assert year_coverage(2027) == Coverage.TABLE and coverage_warning(2027) is None
    assert not is_working_day(date(2027, 1, 1))
    assert is_working_day(date(2027, 2, 7))
    assert is_working_day(date(2027, 2, 6)) is False  # Saturday without a row: weekend
    # Thursday 2026-12-31 + 1: 01-01 off, 01-02/03 weekend → Monday 01-04.
    assert working_day_deadline(sh(2026, 12, 31, 9, 0), 1) == end_of(date(2027, 1, 4))
    # Friday 2027-02-05 + 1: Saturday off, Sunday 02-07 is a make-up working day.
    assert working_day_deadline(sh(2027, 2, 5, 9, 0), 1) == end_of(date(2027, 2, 7))
    assert working_day_deadline(sh(2027, 2, 5, 9, 0), 2) == end_of(date(2027, 2, 8))
    assert working_days_between(end_of(date(2027, 2, 5)), sh(2027, 2, 8, 9, 0)) == 2


@pytest.mark.django_db
def test_the_table_overrides_the_package():
    assert working_day_deadline(sh(2026, 9, 30, 10, 0), 1) == end_of(date(2026, 10, 8))
    Holiday.objects.create(date=date(2026, 10, 8), name="测试：临时放假")
    assert working_day_deadline(sh(2026, 9, 30, 10, 0), 1) == end_of(date(2026, 10, 9))
    assert year_coverage(2026) == Coverage.TABLE


# --- the cache -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_table_is_read_once_per_year_not_once_per_call(django_assert_num_queries):
    with django_assert_num_queries(2):  # 2026 and 2027
        working_day_deadline(sh(2026, 12, 30, 9, 0), 3)
    with django_assert_num_queries(0):
        for day in range(1, 200):
            received = sh(2026, 12, 30, 9, 0) + timedelta(days=day)
            working_day_deadline(received, 5)
            is_working_day(received.date())
            year_coverage(2027)


@pytest.mark.django_db
def test_cache_follows_adding_changing_and_deleting_rows():
    received = sh(2026, 12, 31, 9, 0)
    assert working_day_deadline(received, 1) == end_of(date(2027, 1, 1))  # cached: no rows
    row = Holiday.objects.create(date=date(2027, 1, 1), name="元旦")
    assert working_day_deadline(received, 1) == end_of(date(2027, 1, 4))
    row.date = date(2027, 1, 4)  # moved: both the old and the new day change
    row.save()
    assert working_day_deadline(received, 1) == end_of(date(2027, 1, 1))
    assert working_day_deadline(received, 2) == end_of(date(2027, 1, 5))
    row.delete()
    assert working_day_deadline(received, 2) == end_of(date(2027, 1, 4))


@pytest.mark.django_db
def test_committed_change_is_cached_and_announced_to_other_processes(django_capture_on_commit_callbacks):
    received = sh(2026, 12, 31, 9, 0)
    assert working_day_deadline(received, 1) == end_of(date(2027, 1, 1))
    version = cache.get(workdays.VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Holiday.objects.create(date=date(2027, 1, 1), name="元旦")
    assert len(callbacks) == 1
    assert cache.get(workdays.VERSION_KEY) == version + 1
    assert not workdays._dirty_years()  # committed: served from the cache again
    assert working_day_deadline(received, 1) == end_of(date(2027, 1, 4))
    assert workdays._years[2027] == {date(2027, 1, 1): False}


@pytest.mark.django_db
def test_rolled_back_row_never_reaches_the_cache():
    received = sh(2026, 12, 31, 9, 0)
    with pytest.raises(RuntimeError), transaction.atomic():
        Holiday.objects.create(date=date(2027, 1, 1), name="元旦")
        assert working_day_deadline(received, 1) == end_of(date(2027, 1, 4))
        raise RuntimeError("roll back")
    assert not Holiday.objects.exists()
    assert working_day_deadline(received, 1) == end_of(date(2027, 1, 1))


@pytest.mark.django_db
def test_another_process_change_is_seen_through_the_version(monkeypatch):
    received = sh(2026, 12, 31, 9, 0)
    assert working_day_deadline(received, 1) == end_of(date(2027, 1, 1))
    # Another process saved a row (bulk_create sends no signal here, as if elsewhere)...
    Holiday.objects.bulk_create([Holiday(date=date(2027, 1, 1), name="元旦")])
    assert working_day_deadline(received, 1) == end_of(date(2027, 1, 1))  # still cached
    # ...and bumped the shared version; this process notices at its next check.
    cache.incr(workdays.VERSION_KEY)
    monkeypatch.setattr(workdays, "VERSION_CHECK_SECONDS", 0.0)
    assert working_day_deadline(received, 1) == end_of(date(2027, 1, 4))


# --- the model -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_make_up_working_day_must_be_a_day_otherwise_off():
    with pytest.raises(ValidationError) as exc:
        Holiday(date=date(2027, 2, 8), is_workday=True, name="春节").full_clean()  # a Monday
    assert "is_workday" in exc.value.message_dict
    Holiday(date=date(2027, 2, 7), is_workday=True, name="春节").full_clean()  # Sunday
    Holiday(date=date(2027, 2, 8), is_workday=False, name="春节").full_clean()
    # Overriding a package holiday that falls on a weekday is allowed.
    Holiday(date=date(2026, 10, 5), is_workday=True, name="更正").full_clean()


# --- the admin -------------------------------------------------------------------------------


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "root-pass-123456")


@pytest.mark.django_db
def test_admin_changelist_shows_coverage_and_warning(client, root):
    client.force_login(root)
    url = reverse("admin:core_holiday_changelist")
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), tick=False):
        html = client.get(url).content.decode()
    assert 'id="calendar-coverage"' in html
    assert "2027 年的法定节假日安排尚未录入，工作日按周一至周五计算，请在“节假日”中录入。" in html
    assert "2026 年的法定节假日安排尚未录入" not in html
    assert "chinesecalendar 数据包" in html

    Holiday.objects.create(date=date(2027, 1, 1), name="元旦")
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), tick=False):
        html = client.get(url).content.decode()
    assert "尚未录入" not in html
    assert "管理员录入的节假日表" in html and "元旦" in html

    with time_machine.travel(datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        client.force_login(root)  # the earlier session would have expired by then
        html = client.get(url).content.decode()
    assert "2028 年的法定节假日安排尚未录入" in html and "2027 年的法定节假日安排尚未录入" not in html


@pytest.mark.django_db
def test_admin_add_row_changes_deadlines(client, root):
    received = sh(2027, 2, 5, 9, 0)
    assert working_day_deadline(received, 1) == end_of(date(2027, 2, 8))
    client.force_login(root)
    response = client.post(
        reverse("admin:core_holiday_add"),
        {"date": "2027-02-07", "is_workday": "on", "name": "春节", "note": "调休上班"},
    )
    assert response.status_code == 302, response.content.decode()
    assert Holiday.objects.get(date=date(2027, 2, 7)).is_workday
    assert working_day_deadline(received, 1) == end_of(date(2027, 2, 7))
    # The form refuses a "make-up" Monday.
    response = client.post(
        reverse("admin:core_holiday_add"), {"date": "2027-02-08", "is_workday": "on", "name": "x"}
    )
    assert response.status_code == 200 and not Holiday.objects.filter(date=date(2027, 2, 8)).exists()


@pytest.mark.django_db
def test_admin_permissions(client, world, root):
    for role in (Role.ADMIN, Role.DISPATCHER):
        user = world.user("west", role)
        user.is_staff = True
        user.save()
    admin_user, dispatcher = world.user("west", Role.ADMIN), world.user("west", Role.DISPATCHER)
    row = Holiday.objects.create(date=date(2027, 1, 1), name="元旦")
    changelist = reverse("admin:core_holiday_changelist")
    add = reverse("admin:core_holiday_add")
    change = reverse("admin:core_holiday_change", args=[row.pk])
    delete = reverse("admin:core_holiday_delete", args=[row.pk])

    # Staff of any street may look; the calendar is city-wide, not scoped.
    client.force_login(dispatcher)
    assert client.get(changelist).status_code == 200
    assert client.get(change).status_code == 200
    assert client.get(add).status_code == 403
    assert client.get(delete).status_code == 403
    client.post(change, {"date": "2027-01-01", "name": "改名"})
    assert Holiday.objects.get(pk=row.pk).name == "元旦"

    # A street administrator who is staff may edit, like a superuser.
    for user in (admin_user, root):
        client.force_login(user)
        assert client.get(add).status_code == 200
        assert client.get(delete).status_code == 200
    client.force_login(admin_user)
    assert client.post(change, {"date": "2027-01-01", "name": "新年"}).status_code == 302
    assert Holiday.objects.get(pk=row.pk).name == "新年"

    # Not staff: sent to the login page.
    admin_user.is_staff = False
    admin_user.save()
    client.force_login(admin_user)
    assert client.get(changelist).status_code == 302
    client.force_login(world.user("east", Role.CADRE))
    assert client.get(changelist).status_code == 302
