"""The service centre's actions: AB routing (A on leave → B; both away → the duty officer, with
a warning when the duty officer is away too; cancelled leave counts for nothing), booking a slot
(the last place taken once, the same person twice refused, cancel giving the place back, a
resident booking for themselves), walk-ins and tickets, the queue's steps, a 上门办 request
numbered, routed to its assignee as their task and closed with an outcome, and the waiting-time
figures. Two concurrent bookings of the last place: exactly one wins (PostgreSQL)."""

import threading
import unittest
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase, TransactionTestCase

from civicgrid.accounts.models import Membership
from civicgrid.community.actions.frames import APPOINTMENT_FRAME, HOME_SERVICE_FRAME
from civicgrid.community.actions.service import (
    book_appointment,
    cancel_leave,
    create_item,
    record_leave,
    request_home_service,
    update_item,
    walk_in,
)
from civicgrid.community.choices import (
    AppointmentAction,
    AppointmentStatus,
    HomeServiceAction,
    HomeServiceStatus,
    LeaveKind,
    NotificationKind,
    Responsible,
)
from civicgrid.community.models import Appointment, HomeService, ServiceItem, ServiceSlot
from civicgrid.community.routing import responsible_for, route
from civicgrid.community.service_figures import home_on_time, no_show_rate, queue_now, waiting, waiting_by
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput
from civicgrid.core.models import Event, Notification
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import UserFactory, build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 10, 15, 10, 0, tzinfo=SHANGHAI)  # a Friday
MONDAY = datetime(2027, 10, 18, 10, 0, tzinfo=SHANGHAI)


def third_admin(world):  # type: ignore[no-untyped-def]
    user = UserFactory(username=f"{world.street.code}-duty", role=Role.ADMIN, full_name="值班员")
    Membership.objects.get_or_create(user=user, area=world.street)
    return user


class ServiceBase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_community(cls.world.east, at=NOW - timedelta(days=30), mark="甲")
        cls.west = build_community(cls.world.west, at=NOW - timedelta(days=30), mark="乙")
        cls.users = cls.world.east.users
        cls.admin, cls.cadre, cls.resident = (
            cls.users[Role.ADMIN],
            cls.users[Role.CADRE],
            cls.users[Role.RESIDENT],
        )
        cls.item, cls.b = cls.east.item, cls.east.b_staff
        cls.duty = third_admin(cls.world.east)
        cls.east.centre.duty_officer = cls.duty
        cls.east.centre.save()

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)


class RoutingTests(ServiceBase):
    def leave(self, user, start, hours=8):  # type: ignore[no-untyped-def]
        return record_leave(
            self.admin,
            user=user,
            kind=LeaveKind.ANNUAL,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
        )

    def test_a_then_b_when_a_is_on_leave_then_the_duty_officer(self) -> None:
        self.assertEqual(responsible_for(self.item, MONDAY), (self.admin, Responsible.A))
        leave = self.leave(self.admin, MONDAY - timedelta(hours=1))
        self.assertEqual(responsible_for(self.item, MONDAY), (self.b, Responsible.B))
        self.assertEqual(route(self.item, MONDAY).badge, "A角请假，由B角办理")
        # Outside the leave, A again.
        self.assertEqual(responsible_for(self.item, MONDAY + timedelta(days=1)), (self.admin, Responsible.A))
        self.leave(self.b, MONDAY - timedelta(hours=2))
        found = route(self.item, MONDAY)
        self.assertEqual((found.user, found.responsible, found.warning), (self.duty, Responsible.DUTY, ""))
        # The duty officer away too: still someone, with the warning.
        self.leave(self.duty, MONDAY - timedelta(hours=2))
        found = route(self.item, MONDAY)
        self.assertEqual((found.user, found.responsible), (self.duty, Responsible.DUTY))
        self.assertTrue(found.warning)
        # Cancelled leave counts for nothing.
        cancel_leave(self.admin, leave)
        self.assertEqual(responsible_for(self.item, MONDAY), (self.admin, Responsible.A))
        self.assertEqual(Event.objects.filter(app="community", action="cancel_leave").count(), 1)

    def test_leave_only_for_the_streets_desk_staff(self) -> None:
        with self.assertRaises(InvalidInput) as err:
            self.leave(self.world.west.users[Role.ADMIN], MONDAY)
        self.assertEqual(err.exception.fields, {"user": "not_staff"})
        with self.assertRaises(InvalidInput):
            self.leave(self.cadre, MONDAY)

    def test_an_item_needs_two_different_desk_staff(self) -> None:
        with self.assertRaises(InvalidInput) as err:
            create_item(
                self.admin,
                self.east.centre,
                code="X1",
                name="x",
                category="other",
                a_staff=self.b,
                b_staff=self.b,
            )
        self.assertEqual(err.exception.fields, {"b_staff": "same_as_a"})
        with self.assertRaises(InvalidInput) as err:
            create_item(
                self.admin,
                self.east.centre,
                code="X1",
                name="x",
                category="other",
                a_staff=self.b,
                b_staff=self.cadre,
            )
        self.assertEqual(err.exception.fields, {"b_staff": "not_staff"})

    def test_an_item_is_edited_once_per_version_and_keeps_its_code(self) -> None:
        fields = {
            "name": "老年综合津贴申领",
            "category": "social_security",
            "documents": "身份证\n户口簿",
            "description": "",
            "time_limit_days": 6,
            "window": None,
            "per_slot": 2,
            "bookable": True,
            "home_service": True,
        }
        code, version = self.item.code, self.item.version
        edited = update_item(self.admin, self.item, version=version, **fields)
        self.assertEqual((edited.code, edited.version), (code, version + 1))
        self.assertEqual(
            (edited.document_list, edited.time_limit_days, edited.window), (["身份证", "户口簿"], 6, None)
        )
        logged = Event.objects.get(app="community", action="update_item", object_id=self.item.pk)
        self.assertIn("time_limit_days", logged.payload["changed"])
        # Another's edit of the version already changed: refused, nothing written.
        with self.assertRaises(Conflict):
            update_item(self.admin, self.item, version=version, **{**fields, "time_limit_days": 9})
        self.assertEqual(ServiceItem.objects.get(pk=self.item.pk).time_limit_days, 6)
        with self.assertRaises(InvalidInput) as err:
            update_item(
                self.admin, self.item, version=version + 1, **{**fields, "window": self.west.window.pk}
            )
        self.assertEqual(err.exception.fields, {"window": "not_found"})  # another street's window
        with self.assertRaises(Forbidden):
            update_item(self.cadre, self.item, version=version + 1, **fields)

    def test_a_booking_while_a_is_away_goes_to_b_who_is_told(self) -> None:
        self.leave(self.admin, MONDAY - timedelta(hours=1))
        with self.captureOnCommitCallbacks(execute=True):
            made = book_appointment(self.resident, self.item, MONDAY)
        self.assertEqual((made.handled_by, made.responsible), (self.b, Responsible.B))
        self.assertTrue(Notification.objects.filter(user=self.b, kind=NotificationKind.ROUTED_TO_B).exists())


class BookingTests(ServiceBase):
    def test_the_last_place_once_and_cancel_gives_it_back(self) -> None:
        first = book_appointment(self.admin, self.item, MONDAY, name="张阿婆", phone="13800000001")
        book_appointment(self.admin, self.item, MONDAY, name="李阿公", phone="13800000002")
        slot = ServiceSlot.objects.get(item=self.item, starts_at=MONDAY)
        self.assertEqual((slot.capacity, slot.booked), (2, 2))
        with self.assertRaises(Conflict) as err:
            book_appointment(self.resident, self.item, MONDAY)
        self.assertEqual(err.exception.message, "该时段已约满")
        APPOINTMENT_FRAME.run(first.pk, AppointmentAction.CANCEL, self.admin, {"note": "来电取消"})
        slot.refresh_from_db()
        self.assertEqual(slot.booked, 1)
        made = book_appointment(self.resident, self.item, MONDAY)
        self.assertEqual(
            (made.user, made.channel, made.name), (self.resident, "web", self.resident.full_name)
        )

    def test_the_same_person_twice_a_day_and_bad_times(self) -> None:
        book_appointment(self.resident, self.item, MONDAY)
        with self.assertRaises(Conflict):
            book_appointment(self.resident, self.item, MONDAY + timedelta(hours=2))
        for bad in (MONDAY + timedelta(minutes=10), NOW - timedelta(hours=1), MONDAY - timedelta(days=2)):
            with self.subTest(bad=bad), self.assertRaises(InvalidInput):
                book_appointment(self.admin, self.item, bad, name="王")
        with self.assertRaises(InvalidInput):  # beyond booking_days
            book_appointment(self.admin, self.item, MONDAY + timedelta(days=28), name="王")

    def test_the_queue_walk_in_arrive_call_finish(self) -> None:
        with time_machine.travel(MONDAY - timedelta(hours=1), tick=False):
            booked = book_appointment(self.resident, self.item, MONDAY)
        with time_machine.travel(MONDAY - timedelta(minutes=20), tick=False):
            came = walk_in(self.admin, self.item, name="赵先生")
            arrived = APPOINTMENT_FRAME.run(booked.pk, AppointmentAction.ARRIVE, self.admin)
        self.assertEqual((came.ticket, arrived.ticket), ("C001", "C002"))  # 养老服务: C
        self.assertEqual(came.status, AppointmentStatus.WAITING)
        with time_machine.travel(MONDAY, tick=False):
            APPOINTMENT_FRAME.run(came.pk, AppointmentAction.CALL, self.b)
            APPOINTMENT_FRAME.run(came.pk, AppointmentAction.FINISH, self.b)
        came.refresh_from_db()
        self.assertEqual((came.status, came.handled_by, came.window), ("done", self.b, self.item.window))
        with self.assertRaises(InvalidInput):  # not on its day
            APPOINTMENT_FRAME.run(
                book_appointment(self.resident, self.item, MONDAY + timedelta(days=1)).pk,
                "arrive",
                self.admin,
            )


class HomeServiceTests(ServiceBase):
    def test_a_request_becomes_the_assignees_task_and_closes(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            made = request_home_service(
                self.admin,
                self.item,
                reason="alone_elderly",
                name="孙阿婆",
                address="梧桐路 9 弄 1 号",
                need="申请津贴",
            )
        again = request_home_service(self.resident, self.item, reason="disabled", address="梧桐路 1 号")
        # The builder's request is 0001.
        self.assertEqual((made.number, again.number), ("2027-SM-0002", "2027-SM-0003"))
        self.assertEqual(made.due_on, date(2027, 10, 22))  # 5 working days
        self.assertTrue(
            Notification.objects.filter(user=self.b, kind=NotificationKind.HOME_SERVICE_REQUESTED).exists()
        )
        with self.assertRaises(InvalidInput):  # a cadre asks for a registry person
            request_home_service(self.cadre, self.item, reason="other", name="x", address="y")
        # Routed at the visit time: A is away then, so B goes.
        record_leave(
            self.admin, user=self.admin, kind="sick", starts_at=MONDAY, ends_at=MONDAY + timedelta(days=1)
        )
        with self.captureOnCommitCallbacks(execute=True):
            HOME_SERVICE_FRAME.run(
                made.pk, HomeServiceAction.SCHEDULE, self.admin, {"visit_at": MONDAY + timedelta(hours=4)}
            )
        made.refresh_from_db()
        self.assertEqual((made.status, made.assignee, made.responsible), ("scheduled", self.b, Responsible.B))
        notice = Notification.objects.get(user=self.b, kind=NotificationKind.HOME_SERVICE_TASK)
        self.assertIn("2027-SM-0002", notice.message)
        with time_machine.travel(MONDAY + timedelta(hours=5), tick=False):
            HOME_SERVICE_FRAME.run(
                made.pk, HomeServiceAction.COMPLETE, self.b, {"outcome": "材料已收齐，代为申请"}
            )
        made.refresh_from_db()
        self.assertEqual((made.status, made.outcome), (HomeServiceStatus.DONE, "材料已收齐，代为申请"))
        figures = home_on_time(
            HomeService.objects.all(), date(2027, 10, 1), date(2027, 10, 31), date(2027, 10, 18)
        )
        self.assertEqual((figures.on_time, figures.late), (1, 0))


class FigureTests(ServiceBase):
    def test_waiting_times(self) -> None:
        for n, minutes in enumerate([5, 10, 15, 20, 50]):
            with time_machine.travel(MONDAY + timedelta(minutes=n), tick=False):
                came = walk_in(self.admin, self.item, name=f"居民{n}")
            with time_machine.travel(MONDAY + timedelta(minutes=n + minutes), tick=False):
                APPOINTMENT_FRAME.run(came.pk, AppointmentAction.CALL, self.admin)
        with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
            walk_in(self.admin, self.item, name="还在等")
        rows = Appointment.objects.filter(street=self.world.east.street)
        found = waiting(rows, MONDAY.date(), MONDAY.date())
        self.assertEqual((found.count, found.mean, found.median, found.p90), (5, 20.0, 15.0, 50.0))
        self.assertEqual(queue_now(rows, MONDAY.date()), 1)
        by = waiting_by(rows, MONDAY.date(), MONDAY.date())
        self.assertEqual([(d, w.count) for d, w in by["days"]], [(MONDAY.date(), 5)])
        self.assertEqual(by["items"][0][0], self.item.name)
        self.assertEqual(no_show_rate(rows, MONDAY.date(), MONDAY.date()), (0, 0, None))


@unittest.skipUnless(connection.vendor == "postgresql", "row locks and concurrent writers: PostgreSQL")
@time_machine.travel(NOW, tick=False)
class RaceTests(TransactionTestCase):
    def test_two_bookings_of_the_last_place_exactly_one_wins(self) -> None:
        world = build_world()
        made = build_community(world.east, at=NOW - timedelta(days=30))
        item, admin = made.item, world.east.users[Role.ADMIN]
        item.per_slot = 1
        item.save()
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def attempt(name: str) -> None:
            try:
                barrier.wait()
                book_appointment(admin, item.pk, MONDAY, name=name)
                outcomes.append("ok")
            except Conflict as exc:
                outcomes.append(exc.message)
            except Exception as exc:  # anything else is a bug: record it so the assertion shows it
                outcomes.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=attempt, args=(n,)) for n in ("甲", "乙")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(outcomes), ["ok", "该时段已约满"])
        self.assertEqual(ServiceSlot.objects.get(item=item, starts_at=MONDAY).booked, 1)
        self.assertEqual(Appointment.objects.filter(item=item, slot__starts_at=MONDAY).count(), 1)
