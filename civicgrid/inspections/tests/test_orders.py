"""The rectification order machine: a full cycle from a plan's task to a closed order, the
overdue path (supervised, then escalated after working days), a failed re-check's new
deadline, an extension, reporting up, a case opened and linked both ways, cancelling, a stale
version, who may do what, and the order pages."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from civicgrid.core import clock, events
from civicgrid.core.choices import Role
from civicgrid.core.errors import ActionError, Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core.models import Attachment, Event, Notification
from civicgrid.inspections.actions import order_deadlines
from civicgrid.inspections.actions.frames import ORDER_FRAME, TASK_FRAME
from civicgrid.inspections.actions.orders import issue_order
from civicgrid.inspections.choices import (
    Escalation,
    NotificationKind,
    OrderStatus,
    Outcome,
    Severity,
    TaskAction,
    TaskPurpose,
    TaskStatus,
)
from civicgrid.inspections.models import Inspection, ItemResult, Order, Task
from civicgrid.residents.tests.test_visits import jpeg
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections
from civicgrid.testing.permissions import assert_matrix

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Friday; the following Monday–Friday are working days.
NOW = datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)


def order_events(order: Order) -> list[str]:
    return list(
        Event.objects.filter(app="inspections", object_type="order", object_id=order.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )


@time_machine.travel(NOW, tick=False)
class OrderCycleTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.worker = cls.world.user("east", Role.GRID_WORKER)
        cls.admin = cls.world.user("east", Role.ADMIN)
        cls.leader = cls.world.user("east", Role.LEADER)

    def issue(self, severity: str = Severity.GENERAL, **extra: object) -> Order:
        """Plan → task → inspection (its failed item) → order, as the field part records it."""
        task = self.east.task
        with TASK_FRAME.acting(task.pk, TaskAction.COMPLETE, self.worker):
            pass
        inspection = Inspection.objects.create(
            street=self.world.east.street,
            place=task.place,
            task=task,
            checklist=self.east.inspection.checklist,
            purpose=TaskPurpose.ROUTINE,
            inspector=self.worker,
            inspected_at=clock.now(),
            passed=0,
            failed=1,
        )
        item = self.east.inspection.checklist.items.first()
        result = ItemResult.objects.create(inspection=inspection, item=item, outcome=Outcome.FAIL)
        events.log(inspection, "record", self.worker)
        with self.captureOnCommitCallbacks(execute=True):
            return issue_order(
                self.worker,
                task.place,
                finding="楼道电线私拉乱接",
                severity=severity,
                rule="《消防法》第十六条",
                requirement="拆除私拉电线",
                inspection=inspection,
                result=result,
                **extra,  # type: ignore[arg-type]
            )

    def notified(self, kind: str, order: Order) -> set[int]:
        return set(
            Notification.objects.filter(kind=kind, object_id=order.pk).values_list("user_id", flat=True)
        )

    def test_full_cycle_to_closed(self) -> None:
        order = self.issue()
        self.assertEqual(order.status, OrderStatus.ISSUED)
        # Ten working days from Friday 6 March: Friday 20 March, end of day.
        self.assertEqual(timezone.localtime(order.due_at).date().isoformat(), "2026-03-20")
        recheck = Task.objects.get(order=order)
        self.assertEqual((recheck.purpose, recheck.assignee), (TaskPurpose.RECHECK, self.worker))
        self.assertEqual(self.notified(NotificationKind.ORDER, order), {self.worker.pk})
        ORDER_FRAME.run(order.number, "report_done", self.worker, {"note": "已拆除"})
        place = order.place
        with time_machine.travel(NOW + timedelta(days=10), tick=False):
            done = ORDER_FRAME.run(
                order.number,
                "recheck_pass",
                self.worker,
                {"note": "复查合格", "checkin_lon": place.lon, "checkin_lat": place.lat},
            )
        self.assertEqual(done.status, OrderStatus.CLOSED)
        self.assertEqual(done.rechecks, 1)
        self.assertIsNotNone(done.closed_at)
        recheck.refresh_from_db()
        self.assertEqual(recheck.status, TaskStatus.DONE)
        self.assertEqual(order_events(order), ["issue", "report_done", "recheck_pass"])
        last = Event.objects.filter(object_type="order", object_id=order.pk).last()
        self.assertEqual(last.payload["checkin"]["distance_m"], 0)
        self.assertFalse(last.payload["checkin"]["far"])

    def test_overdue_supervised_then_escalated_after_working_days(self) -> None:
        order = self.issue(severity=Severity.SERIOUS)  # five working days: Friday 13 March
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(order_deadlines.check_orders(clock.now()), {"supervised": 0, "escalated": 0})
        late = datetime(2026, 3, 14, 9, 0, tzinfo=SHANGHAI)  # a Saturday
        with self.captureOnCommitCallbacks(execute=True):
            # The world's own order (serious, issued at the same time) is late too.
            self.assertEqual(order_deadlines.check_orders(late)["supervised"], 2)
            self.assertEqual(order_deadlines.check_orders(late), {"supervised": 0, "escalated": 0})
        order.refresh_from_db()
        self.assertTrue(order.is_overdue)
        self.assertEqual(order.escalation, Escalation.SUPERVISED)
        office = self.notified(NotificationKind.ORDER_OVERDUE, order)
        self.assertIn(self.admin.pk, office)
        self.assertIn(self.leader.pk, office)
        self.assertNotIn(self.worker.pk, office)
        # Three working days after Saturday: Monday, Tuesday… not yet on Tuesday.
        with self.captureOnCommitCallbacks(execute=True):
            tuesday = datetime(2026, 3, 17, 9, 0, tzinfo=SHANGHAI)
            self.assertEqual(order_deadlines.check_orders(tuesday)["escalated"], 0)
            wednesday = datetime(2026, 3, 18, 9, 0, tzinfo=SHANGHAI)
            self.assertEqual(order_deadlines.check_orders(wednesday)["escalated"], 2)  # the world's too
            self.assertEqual(order_deadlines.check_orders(wednesday)["escalated"], 0)
        order.refresh_from_db()
        self.assertEqual(order.escalation, Escalation.ESCALATED)
        escalated = Notification.objects.filter(object_id=order.pk, key__contains="escalated")
        self.assertEqual(set(escalated.values_list("user_id", flat=True)), {self.leader.pk})
        self.assertEqual(order_events(order), ["issue", "supervise", "escalate"])

    def test_recheck_fail_sets_a_new_deadline_and_task(self) -> None:
        order = self.issue()
        with time_machine.travel(datetime(2026, 3, 23, 9, 0, tzinfo=SHANGHAI), tick=False):
            order_deadlines.check_orders(clock.now())
            failed = ORDER_FRAME.run(
                order.number,
                "recheck_fail",
                self.worker,
                {"note": "仍有私拉电线", "deadline_amount": 2, "deadline_unit": "working_days"},
            )
        self.assertEqual(failed.status, OrderStatus.ISSUED)
        self.assertEqual(timezone.localtime(failed.due_at).date().isoformat(), "2026-03-25")
        self.assertFalse(failed.is_overdue)
        self.assertEqual(failed.escalation, Escalation.NONE)
        tasks = list(Task.objects.filter(order=order).order_by("pk").values_list("status", "due_on"))
        self.assertEqual(tasks[0][0], TaskStatus.DONE)
        self.assertEqual(tasks[1], (TaskStatus.OPEN, failed.due_at.astimezone(SHANGHAI).date()))
        self.assertEqual(order_events(order), ["issue", "supervise", "recheck_fail"])

    def test_extend_clears_overdue_and_keeps_history(self) -> None:
        order = self.issue()
        with time_machine.travel(datetime(2026, 3, 23, 9, 0, tzinfo=SHANGHAI), tick=False):
            order_deadlines.check_orders(clock.now())
            with self.assertRaises(Forbidden):
                ORDER_FRAME.run(order.number, "extend", self.worker, {"deadline_amount": 3, "note": "x"})
            extended = ORDER_FRAME.run(
                order.number, "extend", self.admin, {"deadline_amount": 3, "note": "需采购防火材料"}
            )
        self.assertFalse(extended.is_overdue)
        self.assertEqual(timezone.localtime(extended.due_at).date().isoformat(), "2026-03-26")
        event = Event.objects.filter(object_type="order", object_id=order.pk, action="extend").get()
        self.assertEqual(event.payload["note"], "需采购防火材料")
        self.assertIn("supervise", order_events(order))

    def test_report_up_with_reason_notifies_leaders(self) -> None:
        order = self.issue()
        with self.captureOnCommitCallbacks(execute=True):
            reported = ORDER_FRAME.run(
                order.number,
                "report_up",
                self.admin,
                {"to": "区应急管理局", "note": "涉及产权单位，街道无法协调"},
            )
        self.assertEqual(reported.status, OrderStatus.REPORTED)
        self.assertEqual(reported.reported_reason, "涉及产权单位，街道无法协调")
        self.assertIsNotNone(reported.reported_at)
        event = Event.objects.filter(object_type="order", object_id=order.pk, action="report_up").get()
        self.assertEqual(event.payload["to"], "区应急管理局")
        self.assertIn(self.leader.pk, self.notified(NotificationKind.ORDER, order))
        with self.assertRaises(InvalidInput):
            ORDER_FRAME.run(self.east.order.number, "report_up", self.admin, {"to": "区应急管理局"})

    def test_open_case_linked_both_ways(self) -> None:
        order = self.east.order
        done = ORDER_FRAME.run(
            order.number, "open_case", self.worker, {"category": "E2105", "description": "需供电公司处理"}
        )
        case = done.case
        self.assertEqual(case.channel, "inspection")
        event = Event.objects.filter(object_type="order", object_id=order.pk, action="open_case").get()
        self.assertEqual(event.payload["case"], case.number)
        with self.assertRaises(ActionError):  # one case per order
            ORDER_FRAME.run(
                order.number, "open_case", self.worker, {"category": "E2105", "description": "again"}
            )
        self.client.force_login(self.admin)
        page = self.client.get(case.get_absolute_url())
        self.assertContains(page, reverse("inspections:order", args=[order.number]))
        detail = self.client.get(reverse("inspections:order", args=[order.number]))
        self.assertContains(detail, case.number)

    def test_cancel_and_stale_version(self) -> None:
        order = self.east.order
        with self.assertRaises(Conflict):
            ORDER_FRAME.run(
                order.number, "cancel", self.admin, {"note": "误报", "version": order.version + 5}
            )
        cancelled = ORDER_FRAME.run(
            order.number, "cancel", self.admin, {"note": "误报", "version": order.version}
        )
        self.assertEqual(cancelled.status, OrderStatus.CANCELLED)
        self.assertEqual(Task.objects.get(order=order).status, TaskStatus.CANCELLED)
        west = self.world.user("west", Role.ADMIN)
        with self.assertRaises(NotFound):
            ORDER_FRAME.run(order.number, "report_done", west, {"note": "x"})


@time_machine.travel(NOW, tick=False)
class OrderPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.users = cls.world.east.users

    def test_who_sees_the_order_pages(self) -> None:
        number = self.east.order.number
        expected = {
            Role.ADMIN: 200,
            Role.LEADER: 200,
            Role.GRID_WORKER: 200,
            Role.CADRE: 200,
            Role.DISPATCHER: 200,
            Role.HANDLER: 200,
            Role.RESIDENT: 404,  # a page a role has no use for does not exist for it
        }
        assert_matrix(self.client, reverse("inspections:order", args=[number]), expected, self.users)
        assert_matrix(self.client, reverse("inspections:orders"), expected, self.users)
        west = {Role.ADMIN: 404, Role.LEADER: 404, Role.GRID_WORKER: 404}
        assert_matrix(self.client, reverse("inspections:order", args=[number]), west, self.world.west.users)

    def test_who_may_extend(self) -> None:
        order = self.east.order
        url = reverse("inspections:order_action", args=[order.number, "extend"])
        for role, allowed in ((Role.GRID_WORKER, False), (Role.ADMIN, True)):
            with self.subTest(role=role):
                self.client.force_login(self.users[role])
                order.refresh_from_db()
                data = {"version": order.version, "deadline_amount": 5, "note": "等待配件"}
                self.client.post(url, data, follow=True)
                events = Event.objects.filter(object_type="order", object_id=order.pk, action="extend")
                self.assertEqual(events.exists(), allowed)

    def test_list_shows_overdue_and_escalated_with_few_queries(self) -> None:
        for _ in range(4):
            issue_order(self.users[Role.GRID_WORKER], self.east.petrol, finding="加油机接地不良")
        with time_machine.travel(datetime(2026, 3, 16, 9, 0, tzinfo=SHANGHAI), tick=False):
            order_deadlines.check_orders()
            self.client.force_login(self.users[Role.ADMIN])
            with self.assertNumQueries(8):
                page = self.client.get(reverse("inspections:orders"))
            self.assertContains(page, self.east.order.number)
            self.assertContains(page, "已督办")
            overdue = self.client.get(reverse("inspections:orders"), {"overdue": "true"})
        self.assertEqual([o.number for o in overdue.context["orders"]], [self.east.order.number])
        bad = self.client.get(reverse("inspections:orders"), {"area": "nowhere"})
        self.assertEqual(list(bad.context["orders"]), [])
        self.assertTrue(bad.context["filter"].form.errors)

    def test_detail_shows_deadline_timeline_and_forms(self) -> None:
        order = self.east.order
        self.client.force_login(self.users[Role.GRID_WORKER])
        page = self.client.get(reverse("inspections:order", args=[order.number]))
        self.assertContains(page, order.finding)
        self.assertContains(page, "2026-03-13 23:59")
        self.assertContains(page, reverse("inspections:order_notice", args=[order.number]))
        self.assertContains(page, reverse("inspections:order_action", args=[order.number, "recheck_pass"]))
        self.assertNotContains(page, reverse("inspections:order_action", args=[order.number, "extend"]))
        self.assertContains(page, "下达整改通知")  # the timeline's first step
        done = self.client.post(
            reverse("inspections:order_action", args=[order.number, "report_done"]),
            {"version": order.version, "note": "已整改"},
            follow=True,
        )
        self.assertContains(done, "反馈整改情况")
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.SUBMITTED)

    def test_phone_recheck_with_photos_by_stage_and_far_checkin(self) -> None:
        order = self.east.order
        self.client.force_login(self.users[Role.GRID_WORKER])
        act = "inspections:order_action"
        self.client.post(
            reverse(act, args=[order.number, "report_done"]),
            {"version": 1, "note": "已整改", "photos": jpeg("after.jpg")},
        )
        place = order.place
        far = {"checkin_lon": place.lon + 0.01, "checkin_lat": place.lat}  # about 1 km east
        self.client.post(
            reverse(act, args=[order.number, "recheck_pass"]),
            {"version": 2, "note": "复查合格", "photos": jpeg("recheck.jpg"), **far},
        )
        order.refresh_from_db()
        self.assertEqual(order.status, OrderStatus.CLOSED)
        stages = dict(
            Attachment.objects.filter(object_id=order.pk, content_type__model="order").values_list(
                "stage", "event_id"
            )
        )
        events = dict(
            Event.objects.filter(object_type="order", object_id=order.pk).values_list("action", "pk")
        )
        self.assertEqual(stages, {"evidence": events["report_done"], "recheck": events["recheck_pass"]})
        page = self.client.get(reverse("inspections:order", args=[order.number]))
        self.assertContains(page, "整改佐证")
        self.assertContains(page, "超出提醒距离")

    def test_pages_in_english(self) -> None:
        self.client.force_login(self.users[Role.ADMIN])
        self.client.cookies["django_language"] = "en"
        page = self.client.get(reverse("inspections:order", args=[self.east.order.number]))
        for text in ("Rectify by", "Print the rectification notice", "History", "Responsible party"):
            self.assertContains(page, text)
        self.assertContains(self.client.get(reverse("inspections:orders")), "Place type")
