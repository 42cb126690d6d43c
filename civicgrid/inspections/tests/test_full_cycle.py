"""The whole loop through the real actions of every part, nothing written by hand: a plan is
saved → its task appears on the grid worker's phone → the inspection is recorded with one failed
item → an order with a deadline by severity and a re-check task → the party reports → re-check
passes → closed. A second finding is left alone: past its deadline the periodic job supervises
it, and the street's number of working days later escalates it; running the job again changes
nothing."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.core.models import Event, Notification
from civicgrid.inspections import checklists
from civicgrid.inspections.actions import order_deadlines
from civicgrid.inspections.actions.frames import ORDER_FRAME
from civicgrid.inspections.actions.plans import save_plan
from civicgrid.inspections.actions.records import record_inspection
from civicgrid.inspections.choices import (
    Escalation,
    OrderAction,
    OrderStatus,
    Outcome,
    PlaceKind,
    PlanKind,
    Recurrence,
    Severity,
    TaskPurpose,
    TaskStatus,
)
from civicgrid.inspections.models import Order, Task
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


class FullCycleTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        with time_machine.travel(MONDAY, tick=False):
            cls.world = build_world()
            cls.east = build_inspections(cls.world.east)
        cls.admin = cls.world.user("east", Role.ADMIN)
        cls.worker = cls.world.user("east", Role.GRID_WORKER)

    def record(self, task: Task, fail: set[str]) -> Order | None:
        checklist = checklists.current(task.street_id, task.place.kind)
        results = {
            str(item.pk): Outcome.FAIL if item.code in fail else Outcome.PASS
            for item in checklist.items.all()
        }
        record_inspection(
            self.worker, task=task.pk, results=results, note="月度检查", client_key=f"k{task.pk}"
        )
        return Order.objects.filter(place=task.place).order_by("-pk").first()

    def test_plan_to_closed_order_and_overdue_to_escalated(self) -> None:
        with time_machine.travel(MONDAY, tick=False):
            plan = save_plan(
                self.admin,
                street=self.world.east.street,
                title="沿街商铺三月检查",
                kind=PlanKind.RECURRING,
                recurrence=Recurrence.MONTHLY,
                place_kinds=[PlaceKind.SMALL],
                starts_on=MONDAY.date(),
                assignee=self.worker,
            )
            task = Task.objects.get(plan=plan, place=self.east.shop)
            self.assertEqual((task.status, task.assignee), (TaskStatus.OPEN, self.worker))
            phone = self.client
            phone.force_login(self.worker)
            self.assertContains(phone.get("/inspections/m/tasks/"), self.east.shop.name)

            # SM01 (三合一) is major, SM02 (安全出口) serious in the shipped shop checklist.
            order = self.record(task, fail={"SM01", "SM02"})
            assert order is not None
            task.refresh_from_db()
            self.assertEqual(task.status, TaskStatus.DONE)
            recheck = Task.objects.get(order=order, purpose=TaskPurpose.RECHECK)
            self.assertEqual(recheck.assignee, self.worker)

            serious = Order.objects.get(
                place=self.east.shop, severity=Severity.SERIOUS, inspection=task.inspection
            )

        # The party puts it right; the grid worker re-checks on the spot and the order closes.
        with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
            ORDER_FRAME.run(serious.pk, OrderAction.REPORT_DONE, self.worker, {"note": "已整改"})
            closed = ORDER_FRAME.run(serious.pk, OrderAction.RECHECK_PASS, self.worker, {"note": "复查合格"})
        self.assertEqual(closed.status, OrderStatus.CLOSED)
        self.assertEqual(Task.objects.get(order=serious, purpose=TaskPurpose.RECHECK).status, TaskStatus.DONE)
        actions = list(
            Event.objects.filter(app="inspections", object_type="order", object_id=serious.pk)
            .order_by("pk")
            .values_list("action", flat=True)
        )
        self.assertEqual(actions, [OrderAction.ISSUE, OrderAction.REPORT_DONE, OrderAction.RECHECK_PASS])

        # The major finding is left alone: due in 24 hours, supervised after, escalated three
        # working days (the default) after it was supervised.
        major = Order.objects.get(inspection=task.inspection, severity=Severity.MAJOR)
        self.assertEqual(major.due_at, MONDAY + timedelta(hours=24))
        with time_machine.travel(MONDAY + timedelta(days=1, hours=1), tick=False):
            self.assertEqual(order_deadlines.check_orders(), {"supervised": 1, "escalated": 0})
        major.refresh_from_db()
        self.assertEqual((major.is_overdue, major.escalation), (True, Escalation.SUPERVISED))
        with time_machine.travel(MONDAY + timedelta(days=3), tick=False):  # Thursday: two working days
            self.assertEqual(order_deadlines.check_orders(), {"supervised": 0, "escalated": 0})
        with time_machine.travel(MONDAY + timedelta(days=4), tick=False):  # Friday: three
            with self.captureOnCommitCallbacks(execute=True):
                self.assertEqual(order_deadlines.check_orders(), {"supervised": 0, "escalated": 1})
            self.assertEqual(order_deadlines.check_orders(), {"supervised": 0, "escalated": 0})
        major.refresh_from_db()
        self.assertEqual((major.status, major.escalation), (OrderStatus.ISSUED, Escalation.ESCALATED))
        leader = self.world.user("east", Role.LEADER)
        self.assertTrue(Notification.objects.filter(user=leader, object_id=major.pk).exists())
