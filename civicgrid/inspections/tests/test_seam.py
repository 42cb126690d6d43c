"""The inspections seam: scoping (the unannounced task hidden from the place's own unit and
from roles that could warn it), the checklist copied from the defaults once, an order's
number and its deadline from the severity on the working-day calendar."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Action, Role
from civicgrid.inspections import checklists, deadlines
from civicgrid.inspections.actions.orders import issue_order
from civicgrid.inspections.choices import DeadlineUnit, PlaceKind, Severity, TaskPurpose
from civicgrid.inspections.defaults import DEFAULTS
from civicgrid.inspections.models import Checklist, Order, Place, Plan, Task
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Friday; the following Monday–Friday are working days.
NOW = datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)


@time_machine.travel(NOW, tick=False)
class SeamTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)

    def visible_tasks(self, role: str, street: str = "east") -> set[int]:
        user = self.world.user(street, role)
        return set(Task.objects.restrict(user, Action.VIEW).values_list("pk", flat=True))

    def test_unannounced_task_seen_only_by_its_office_and_inspector(self) -> None:
        secret = self.east.secret_task.pk
        self.assertIn(secret, self.visible_tasks(Role.LEADER))
        self.assertIn(secret, self.visible_tasks(Role.ADMIN))
        for role in (Role.HANDLER, Role.DISPATCHER, Role.GRID_WORKER, Role.CADRE):
            with self.subTest(role=role):
                self.assertNotIn(secret, self.visible_tasks(role))
        # The place's own unit sees the place, never the coming inspection.
        handler = self.world.user("east", Role.HANDLER)
        self.assertTrue(Place.objects.restrict(handler, Action.VIEW).filter(pk=self.east.petrol.pk).exists())
        plans = Plan.objects.restrict(self.world.user("east", Role.DISPATCHER), Action.VIEW)
        self.assertEqual(set(plans.values_list("pk", flat=True)), {self.east.plan.pk})

    def test_scope_isolation_between_streets(self) -> None:
        west_admin = self.world.user("west", Role.ADMIN)
        self.assertFalse(Place.objects.restrict(west_admin, Action.VIEW).exists())
        self.assertFalse(Order.objects.restrict(west_admin, Action.VIEW).exists())
        # The grid worker's grid holds the shop and the flat, not the petrol station.
        worker = self.world.user("east", Role.GRID_WORKER)
        self.assertEqual(
            set(Place.objects.restrict(worker, Action.VIEW).values_list("kind", flat=True)),
            {PlaceKind.SMALL, PlaceKind.GROUP_RENT},
        )

    def test_checklist_copied_from_the_defaults_once(self) -> None:
        street = self.world.west.street.pk
        first = checklists.current(street, PlaceKind.CHARGING)
        self.assertEqual(first, checklists.current(street, PlaceKind.CHARGING))
        self.assertEqual(first.revision, 1)
        self.assertEqual(first.items.count(), len(DEFAULTS[PlaceKind.CHARGING][1]))
        self.assertEqual(Checklist.objects.filter(street_id=street, place_kind=PlaceKind.CHARGING).count(), 1)

    def test_every_kind_has_a_default_checklist_with_unique_codes(self) -> None:
        self.assertEqual(set(DEFAULTS), set(PlaceKind.values))
        for kind, (_title, items) in DEFAULTS.items():
            with self.subTest(kind=kind):
                codes = [i.code for i in items]
                self.assertEqual(len(codes), len(set(codes)))

    def test_order_numbered_with_a_recheck_task_at_its_deadline(self) -> None:
        order = self.east.order
        code = self.world.east.street.code
        self.assertEqual(order.number, f"ZG-{code}-2026-00001")
        # Serious: 5 working days after Friday 6 March → Friday 13 March, end of day.
        self.assertEqual(order.deadline_unit, DeadlineUnit.WORKING_DAYS)
        self.assertEqual(order.due_at.astimezone(SHANGHAI).date().isoformat(), "2026-03-13")
        recheck = Task.objects.get(order=order)
        self.assertEqual((recheck.purpose, recheck.due_on.isoformat()), (TaskPurpose.RECHECK, "2026-03-13"))
        second = issue_order(self.world.user("east", Role.ADMIN), self.east.shop, finding="灭火器过期")
        self.assertEqual(second.number, f"ZG-{code}-2026-00002")

    def test_major_findings_are_due_in_hours(self) -> None:
        deadline = deadlines.default(Severity.MAJOR, self.world.east.street.pk)
        self.assertEqual((deadline.amount, deadline.unit), (24, DeadlineUnit.HOURS))
        self.assertEqual(deadline.due(NOW), datetime(2026, 3, 7, 10, 0, tzinfo=SHANGHAI))
