"""Venues and activities, the actions: venues with rooms and weekly hours replaced in one step;
an activity's room must be its venue's and hold its places; capacity then the waiting list (the
position told, a full list refused), a place given back going to the first waiting who is told;
check-in once per sign-up; attendance; a series planned around public holidays; residents sign
up only themselves and see only their own sign-ups."""

import threading
from datetime import date, datetime, time, timedelta
from unittest import skipUnless
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase, TransactionTestCase
from django.utils import timezone

from civicgrid.accounts.models import Membership
from civicgrid.community import checkin
from civicgrid.community.actions import activities as actions
from civicgrid.community.actions.frames import ACTIVITY_FRAME
from civicgrid.community.choices import (
    ActivityAction,
    ActivityCategory,
    ActivityRecurrence,
    ActivityStatus,
    ContactChannel,
    NotificationKind,
    SignUpStatus,
    VenueKind,
)
from civicgrid.community.models import Activity, SignUp
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, TransitionNotAllowed
from civicgrid.core.models import Event, Holiday, Notification
from civicgrid.testing.factories import UserFactory, build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=SHANGHAI)  # a Monday
DAY = datetime(2027, 3, 10, 14, 0, tzinfo=SHANGHAI)  # the activity: a Wednesday afternoon


class ActivityActionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = cls.w.east
        cls.admin = cls.east.users[Role.ADMIN]
        cls.cadre = cls.east.users[Role.CADRE]
        cls.resident = cls.east.users[Role.RESIDENT]
        with time_machine.travel(NOW, tick=False):
            cls.venue = actions.create_venue(
                cls.admin,
                street=cls.east.street,
                kind=VenueKind.NEIGHBOUR_POINT,
                name="梧桐院睦邻点",
                area=cls.east.residential[0],
            )
            cls.room = actions.add_room(cls.admin, cls.venue, name="多功能室", capacity=3)

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def another_resident(self, n: int) -> object:
        user = UserFactory(username=f"east-resident-{n}", role=Role.RESIDENT, full_name=f"居民{n}")
        Membership.objects.create(user=user, area=self.east.residential[0])
        return user

    def activity(self, **fields: object) -> Activity:
        values: dict[str, object] = {
            "venue": self.venue,
            "room": self.room,
            "title": "书法班",
            "category": ActivityCategory.CULTURE,
            "organiser": "东1居委会",
            "starts_at": DAY,
            "ends_at": DAY + timedelta(hours=2),
            "capacity": 2,
            "waiting_limit": 1,
        }
        values.update(fields)
        made = actions.create_activity(self.cadre, **values)
        return actions.publish(made.pk, self.cadre)

    # ------------------------------------------------------------------ venues

    def test_a_room_is_edited_once_per_version_of_its_venue(self) -> None:
        self.venue.refresh_from_db()  # adding the room moved it
        seen = self.venue.version
        room = actions.update_room(
            self.admin, self.room, version=seen, name="活动室甲", capacity=5, active=True
        )
        self.assertEqual((room.name, room.capacity), ("活动室甲", 5))
        # A second form of the same version (another tab, another admin) is refused, changing nothing.
        with self.assertRaises(Conflict):
            actions.update_room(self.admin, self.room, version=seen, name="活动室乙", capacity=9, active=True)
        self.room.refresh_from_db()
        self.assertEqual((self.room.name, self.room.capacity), ("活动室甲", 5))

    def test_venue_hours_are_replaced_in_one_step(self) -> None:
        actions.set_hours(self.admin, self.venue, [(0, time(8, 30), time(11, 30)), (0, time(13), time(17))])
        week = [{"weekday": 2, "opens": time(9), "closes": time(16)}]
        made = actions.set_hours(self.admin, self.venue, week)
        self.assertEqual([(h.weekday, h.opens) for h in self.venue.hours.all()], [(2, time(9))])
        self.assertEqual(len(made), 1)
        with self.assertRaises(InvalidInput) as caught:
            actions.set_hours(self.admin, self.venue, [(1, time(9), time(12)), (1, time(11), time(15))])
        self.assertEqual(caught.exception.fields, {"hours": "overlap"})
        self.assertEqual(self.venue.hours.count(), 1)  # the refused replacement changed nothing
        with self.assertRaises(Forbidden):
            actions.set_hours(self.cadre, self.venue, [])

    def test_an_activity_takes_its_area_from_the_venue_and_fits_its_room(self) -> None:
        made = self.activity()
        self.assertEqual(made.area, self.east.residential[0])
        self.assertEqual(made.street, self.east.street)
        with self.assertRaises(InvalidInput) as caught:
            self.activity(capacity=4)
        self.assertEqual(caught.exception.fields, {"capacity": "over_room"})
        other = actions.create_venue(self.admin, street=self.east.street, kind=VenueKind.HUB, name="邻里汇")
        elsewhere = actions.add_room(self.admin, other, name="大厅", capacity=100)
        with self.assertRaises(InvalidInput) as caught:
            self.activity(room=elsewhere)
        self.assertEqual(caught.exception.fields, {"room": "other_venue"})

    def test_the_waiting_list_defaults_to_the_street_profile(self) -> None:
        made = self.activity(waiting_limit=None)
        self.assertEqual(made.waiting_limit, 10)

    # ------------------------------------------------------------------ capacity, waiting list

    def test_capacity_then_the_waiting_list_then_refused(self) -> None:
        activity = self.activity()
        first = actions.sign_up(activity.pk, self.cadre, name="王阿婆", phone="13700001111").made_sign_up
        second = actions.sign_up(
            activity.pk, self.admin, name="李阿公", phone="13700002222", channel=ContactChannel.DESK
        )
        self.assertEqual(first.status, SignUpStatus.CONFIRMED)
        self.assertEqual(first.channel, ContactChannel.PHONE)  # staff take calls: not "web"
        self.assertEqual(second.made_sign_up.channel, ContactChannel.DESK)
        waiting = actions.sign_up(activity.pk, self.resident).made_sign_up
        self.assertEqual(waiting.status, SignUpStatus.WAITING)
        self.assertEqual(actions.waiting_position(waiting), 1)
        with self.assertRaises(Conflict) as caught:
            actions.sign_up(activity.pk, self.another_resident(1))
        self.assertIn("名额已满（2 人）", caught.exception.message)
        self.assertIn("候补名单", caught.exception.message)
        self.assertEqual(SignUp.objects.filter(activity=activity).count(), 3)

    def test_the_same_person_signs_up_once(self) -> None:
        activity = self.activity(capacity=3)
        actions.sign_up(activity.pk, self.resident)
        with self.assertRaisesRegex(Conflict, "已报名"):
            actions.sign_up(activity.pk, self.resident)
        actions.sign_up(activity.pk, self.cadre, name="王阿婆", phone="137-0000-1111")
        with self.assertRaisesRegex(Conflict, "已报名"):  # the same phone, written differently
            actions.sign_up(activity.pk, self.admin, name="王婆婆", phone="13700001111")

    def test_a_resident_signs_up_only_themselves(self) -> None:
        activity = self.activity()
        with self.assertRaises(InvalidInput) as caught:
            actions.sign_up(activity.pk, self.resident, name="别人", phone="13700009999")
        self.assertEqual(caught.exception.fields, {"person": "own_only"})
        mine = actions.sign_up(activity.pk, self.resident).made_sign_up
        self.assertEqual((mine.user, mine.name, mine.channel), (self.resident, "东居民", ContactChannel.WEB))

    def test_a_place_given_back_goes_to_the_first_waiting_who_is_told(self) -> None:
        activity = self.activity()
        a = actions.sign_up(activity.pk, self.cadre, name="甲", phone="13700000001").made_sign_up
        actions.sign_up(activity.pk, self.cadre, name="乙", phone="13700000002")
        first_waiting = actions.sign_up(activity.pk, self.resident).made_sign_up
        with self.captureOnCommitCallbacks(execute=True):
            actions.cancel_sign_up(activity.pk, self.cadre, sign_up=a.pk, note="家里有事")
        first_waiting.refresh_from_db()
        self.assertEqual(first_waiting.status, SignUpStatus.CONFIRMED)
        a.refresh_from_db()
        self.assertEqual(a.status, SignUpStatus.CANCELLED)
        notice = Notification.objects.get(user=self.resident)
        self.assertEqual(notice.kind, NotificationKind.ACTIVITY_PROMOTED)
        self.assertIn("书法班", notice.message)
        # The place is taken again: the next caller waits.
        after = actions.sign_up(activity.pk, self.admin, name="丙", phone="13700000003").made_sign_up
        self.assertEqual(after.status, SignUpStatus.WAITING)

    def test_a_resident_cancels_only_their_own(self) -> None:
        activity = self.activity()
        theirs = actions.sign_up(activity.pk, self.cadre, name="甲", phone="13700000001").made_sign_up
        with self.assertRaises(InvalidInput):  # not among the resident's rows
            actions.cancel_sign_up(activity.pk, self.resident, sign_up=theirs.pk)
        mine = actions.sign_up(activity.pk, self.resident).made_sign_up
        actions.cancel_sign_up(activity.pk, self.resident, sign_up=mine.pk)
        self.assertEqual(SignUp.objects.get(pk=mine.pk).status, SignUpStatus.CANCELLED)

    def test_residents_see_only_their_own_sign_ups(self) -> None:
        activity = self.activity(capacity=3)
        actions.sign_up(activity.pk, self.cadre, name="甲", phone="13700000001")
        other = self.another_resident(2)
        actions.sign_up(activity.pk, other)
        mine = actions.sign_up(activity.pk, self.resident).made_sign_up
        self.assertEqual(list(SignUp.objects.restrict(self.resident, "view")), [mine])
        self.assertEqual(SignUp.objects.restrict(self.cadre, "view").count(), 3)

    # ------------------------------------------------------------------ check-in, attendance

    def test_check_in_once_per_person_on_the_day(self) -> None:
        activity = self.activity()
        mine = actions.sign_up(activity.pk, self.resident).made_sign_up
        with self.assertRaises(TransitionNotAllowed):  # not the day yet
            actions.check_in(activity.pk, self.resident, sign_up=mine.pk)
        with time_machine.travel(DAY - timedelta(minutes=10), tick=False):
            # A resident checks in with the day's code from the QR code, not without it.
            with self.assertRaises(InvalidInput) as caught:
                actions.check_in(activity.pk, self.resident, sign_up=mine.pk)
            self.assertEqual(caught.exception.fields, {"code": "invalid"})
            stale = checkin.code_for(activity.pk, DAY.date() - timedelta(days=1))
            with self.assertRaises(InvalidInput):
                actions.check_in(activity.pk, self.resident, sign_up=mine.pk, code=stale)
            today = checkin.code_for(activity.pk, timezone.localtime(DAY).date())
            actions.check_in(activity.pk, self.resident, sign_up=mine.pk, code=today)
        later = time_machine.travel(DAY + timedelta(minutes=20), tick=False)
        with later, self.assertRaises(Conflict) as caught:
            actions.check_in(activity.pk, self.cadre, sign_up=mine.pk)
        self.assertIn("13:50", caught.exception.message)
        mine.refresh_from_db()
        self.assertEqual(mine.checked_in_at, DAY - timedelta(minutes=10))
        self.assertEqual(Event.objects.filter(action=ActivityAction.CHECK_IN).count(), 1)

    def test_a_waiting_sign_up_cannot_check_in(self) -> None:
        activity = self.activity(capacity=1)
        actions.sign_up(activity.pk, self.cadre, name="甲", phone="13700000001")
        waiting = actions.sign_up(activity.pk, self.resident).made_sign_up
        code = checkin.code_for(activity.pk, timezone.localtime(DAY).date())
        with time_machine.travel(DAY, tick=False), self.assertRaisesRegex(Conflict, "候补"):
            actions.check_in(activity.pk, self.resident, sign_up=waiting.pk, code=code)

    def test_attendance_is_check_ins_plus_walk_ins(self) -> None:
        activity = self.activity()
        a = actions.sign_up(activity.pk, self.cadre, name="甲", phone="13700000001").made_sign_up
        actions.sign_up(activity.pk, self.cadre, name="乙", phone="13700000002")
        with time_machine.travel(DAY, tick=False):
            actions.check_in(activity.pk, self.cadre, sign_up=a.pk)
        with self.assertRaises(TransitionNotAllowed):  # not started yet
            actions.finish(activity.pk, self.cadre, walk_ins=3)
        with time_machine.travel(DAY + timedelta(hours=3), tick=False):
            done = actions.finish(activity.pk, self.cadre, walk_ins=3)
        self.assertEqual((done.status, done.attendance, done.walk_ins), (ActivityStatus.DONE, 4, 3))

    def test_cancelling_tells_those_signed_up_with_an_account(self) -> None:
        activity = self.activity()
        actions.sign_up(activity.pk, self.cadre, name="甲", phone="13700000001")
        actions.sign_up(activity.pk, self.resident)
        with self.captureOnCommitCallbacks(execute=True):
            done = actions.cancel(activity.pk, self.cadre, note="场地维修")
        self.assertEqual(done.status, ActivityStatus.CANCELLED)
        notice = Notification.objects.get(kind=NotificationKind.ACTIVITY_CANCELLED)
        self.assertEqual(notice.user, self.resident)
        self.assertIn("场地维修", notice.message)

    def test_sign_up_closes(self) -> None:
        activity = self.activity()
        ACTIVITY_FRAME.run(activity.pk, ActivityAction.CLOSE_SIGN_UP, self.cadre, {})
        with self.assertRaises(TransitionNotAllowed):
            actions.sign_up(activity.pk, self.resident)

    # ------------------------------------------------------------------ series

    def test_a_series_skips_public_holidays(self) -> None:
        # 2027-04-05 (Monday) is Qingming; a table row marks it so whatever the package covers.
        Holiday.objects.create(date=date(2027, 4, 5), is_workday=False)
        plan = actions.plan_series(
            self.cadre,
            recurrence=ActivityRecurrence.WEEKLY,
            weekday=0,
            starts_at=time(9, 30),
            minutes=90,
            first_day=date(2027, 3, 22),
            last_day=date(2027, 4, 19),
            venue=self.venue,
            room=self.room,
            title="太极拳",
            category=ActivityCategory.SPORTS,
            organiser="东1居委会",
            capacity=3,
            waiting_limit=2,
            publish=True,
        )
        days = [a.starts_at.astimezone(SHANGHAI).date() for a in plan.activities]
        self.assertEqual(days, [date(2027, 3, 22), date(2027, 3, 29), date(2027, 4, 12), date(2027, 4, 19)])
        self.assertEqual(plan.skipped, [date(2027, 4, 5)])
        for made in plan.activities:
            self.assertEqual((made.status, made.series), (ActivityStatus.OPEN, plan.series))
        self.assertEqual(plan.activities[0].starts_at.astimezone(SHANGHAI).time(), time(9, 30))

    def test_monthly_on_the_same_weekday_of_the_month(self) -> None:
        # The second Tuesday: 2027-03-09, 04-13, 05-11.
        days = actions.occurrences(ActivityRecurrence.MONTHLY, 1, date(2027, 3, 8), date(2027, 5, 31))
        self.assertEqual(days, [date(2027, 3, 9), date(2027, 4, 13), date(2027, 5, 11)])
        fortnightly = actions.occurrences(
            ActivityRecurrence.FORTNIGHTLY, 4, date(2027, 3, 1), date(2027, 3, 31)
        )
        self.assertEqual(fortnightly, [date(2027, 3, 5), date(2027, 3, 19)])

    def test_a_series_is_bounded(self) -> None:
        with self.assertRaises(InvalidInput) as caught:
            actions.plan_series(
                self.cadre,
                recurrence=ActivityRecurrence.WEEKLY,
                weekday=0,
                starts_at=time(9),
                minutes=60,
                first_day=date(2027, 3, 1),
                last_day=date(2029, 3, 1),
                venue=self.venue,
                title="太极拳",
                category=ActivityCategory.SPORTS,
                organiser="东1居委会",
                capacity=3,
            )
        self.assertEqual(caught.exception.fields, {"last_day": "too_many"})


@skipUnless(connection.vendor == "postgresql", "threads racing for a row lock: PostgreSQL")
@time_machine.travel(NOW, tick=False)
class RaceTests(TransactionTestCase):
    def test_two_sign_ups_for_the_last_place_exactly_one_wins(self) -> None:
        world = build_world()
        admin, cadre = world.east.users[Role.ADMIN], world.east.users[Role.CADRE]
        venue = actions.create_venue(admin, street=world.east.street, kind=VenueKind.HUB, name="邻里汇")
        made = actions.create_activity(
            cadre,
            venue=venue,
            title="讲座",
            category=ActivityCategory.HEALTH,
            organiser="居委会",
            starts_at=DAY,
            ends_at=DAY + timedelta(hours=1),
            capacity=1,
            waiting_limit=0,
        )
        actions.publish(made.pk, cadre)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def attempt(phone: str) -> None:
            try:
                barrier.wait()
                actions.sign_up(made.pk, cadre, name=phone, phone=phone)
                outcomes.append("ok")
            except Conflict as exc:
                outcomes.append(exc.message)
            except Exception as exc:  # anything else is a bug: record it so the assertion shows it
                outcomes.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=attempt, args=(p,)) for p in ("13700000001", "13700000002")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(outcomes), ["ok", "名额已满（1 人），本活动不设候补"])
        self.assertEqual(SignUp.objects.filter(activity=made).count(), 1)
