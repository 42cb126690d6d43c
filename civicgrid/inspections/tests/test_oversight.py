"""The oversight numbers on a hand-built world: coverage against the month's plans (per area,
per kind, a campaign against its target), open/overdue/supervised/escalated orders, repeat
offenders by the street's setting; another street sees nothing; a bounded number of queries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.inspections import checklists, oversight
from civicgrid.inspections.actions.orders import issue_order
from civicgrid.inspections.choices import (
    Escalation,
    OrderStatus,
    PlaceKind,
    PlanKind,
    Recurrence,
    TaskPurpose,
)
from civicgrid.inspections.models import Inspection, Order, Place, Plan, Task
from civicgrid.profiles import actions as profile_actions
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)
MARCH = oversight.Period(NOW.date().replace(day=1), NOW.date().replace(day=31))


def populate(world, east) -> dict:
    """What the tests count: a campaign over shops and group-rented flats (target 80%), a
    charging point no plan covers, the flat inspected last month only, three orders on the
    petrol station (overdue and supervised, overdue and escalated, closed) and two more on
    the shop (one issued 400 days ago)."""
    street = world.east
    leader = street.users[Role.LEADER]
    campaign = Plan.objects.create(
        street=street.street,
        title="群租和商铺专项行动",
        kind=PlanKind.CAMPAIGN,
        place_kinds=[PlaceKind.SMALL, PlaceKind.GROUP_RENT],
        recurrence=Recurrence.ONCE,
        starts_on=NOW.date().replace(day=2),
        ends_on=NOW.date().replace(day=31),
        coverage_target=80,
    )
    Place.objects.create(
        street=street.street, grid=street.buildings[1].grid, kind=PlaceKind.CHARGING, name="充电棚"
    )
    Inspection.objects.create(
        street=street.street,
        place=east.flat_place,
        checklist=checklists.current(street.street.pk, PlaceKind.GROUP_RENT),
        purpose=TaskPurpose.GROUP_RENT,
        inspector=leader,
        inspected_at=NOW - timedelta(days=14),
    )
    petrol = [issue_order(leader, east.petrol, finding=f"隐患{i}") for i in range(3)]
    Order.objects.filter(pk=petrol[0].pk).update(is_overdue=True, escalation=Escalation.SUPERVISED)
    Order.objects.filter(pk=petrol[1].pk).update(is_overdue=True, escalation=Escalation.ESCALATED)
    Order.objects.filter(pk=petrol[2].pk).update(status=OrderStatus.CLOSED)
    issue_order(leader, east.shop, finding="灭火器过期")
    old = issue_order(leader, east.shop, finding="通道堆物")
    Order.objects.filter(pk=old.pk).update(issued_at=clock.now() - timedelta(days=400))
    return {"campaign": campaign}


@time_machine.travel(NOW, tick=False)
class OversightTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.extra = populate(cls.world, cls.east)
        cls.admin = cls.world.user("east", Role.ADMIN)

    def test_coverage_against_the_months_plans(self) -> None:
        report = oversight.coverage(self.admin, MARCH)
        # Due: the shop (monthly plan, campaign), the petrol station (unannounced plan), the
        # flat (campaign); the charging point is under no plan. Inspected in March: the shop.
        self.assertEqual((report.total.due, report.total.inspected, report.total.percent), (3, 1, 33))
        kinds = {row.key: (row.due, row.inspected) for row in report.by_kind}
        self.assertEqual(
            kinds, {PlaceKind.SMALL: (1, 1), PlaceKind.GROUP_RENT: (1, 0), PlaceKind.PETROL: (1, 0)}
        )
        first, last = self.world.east.residential[0], self.world.east.residential[-1]
        areas = {row.key: (row.label, row.due, row.inspected, row.percent) for row in report.by_area}
        self.assertEqual(areas[first.pk], (first.name, 2, 1, 50))
        self.assertEqual(areas[last.pk], (last.name, 1, 0, 0))

    def test_campaign_against_its_target(self) -> None:
        (campaign,) = oversight.coverage(self.admin, MARCH).campaigns
        self.assertEqual(campaign.key, self.extra["campaign"].pk)
        self.assertEqual(
            (campaign.due, campaign.inspected, campaign.percent, campaign.target), (2, 1, 50, 80)
        )
        self.assertIs(campaign.on_target, False)
        # In February no plan ran yet: nothing is due.
        february = oversight.Period(MARCH.start - timedelta(days=28), MARCH.start - timedelta(days=1))
        self.assertEqual(oversight.coverage(self.admin, february).total.due, 0)

    def test_unannounced_plan_left_out_for_those_it_is_hidden_from(self) -> None:
        worker = self.world.user("east", Role.GRID_WORKER)
        report = oversight.coverage(worker, MARCH)
        self.assertEqual((report.total.due, report.total.inspected), (2, 1))
        self.assertNotIn(PlaceKind.PETROL, {row.key for row in report.by_kind})

    def test_open_and_overdue_orders_by_area_and_kind(self) -> None:
        report = oversight.orders(self.admin)
        total = report.total
        self.assertEqual((total.open, total.overdue, total.supervised, total.escalated), (5, 2, 1, 1))
        kinds = {row.key: (row.open, row.overdue, row.supervised, row.escalated) for row in report.by_kind}
        self.assertEqual(kinds, {PlaceKind.SMALL: (3, 0, 0, 0), PlaceKind.PETROL: (2, 2, 1, 1)})
        areas = {row.key: row.open for row in report.by_area}
        self.assertEqual(areas, {self.world.east.residential[0].pk: 3, self.world.east.residential[-1].pk: 2})

    def test_repeat_offenders_follow_the_street_setting(self) -> None:
        found = oversight.repeat_offenders(self.admin)
        self.assertEqual([(o.place.pk, o.orders) for o in found], [(self.east.petrol.pk, 3)])
        profile_actions.save_profile(self.world.east.street, self.admin, {oversight.REPEAT_SETTING: 2})
        found = oversight.repeat_offenders(self.admin)
        # The shop's order of 400 days ago does not count.
        self.assertEqual(
            [(o.place.pk, o.orders) for o in found], [(self.east.petrol.pk, 3), (self.east.shop.pk, 2)]
        )
        self.assertEqual(len(oversight.repeat_offenders(self.admin, limit=1)), 1)

    def test_another_street_sees_nothing(self) -> None:
        west = self.world.user("west", Role.ADMIN)
        self.assertEqual(oversight.coverage(west, MARCH).total.due, 0)
        self.assertEqual(oversight.orders(west).total.open, 0)
        self.assertEqual(oversight.repeat_offenders(west), [])
        self.assertEqual(oversight.tasks_due_this_week(west), 0)

    def test_tasks_due_this_week(self) -> None:
        # Every task of the world is due next week or later (re-checks after 5 or 10 working
        # days, the plans' tasks on the 13th and 16th): only these count.
        self.assertEqual(oversight.tasks_due_this_week(self.admin), 0)
        street, shop = self.world.east.street, self.east.shop
        for due_on, status in ((-3, "open"), (2, "open"), (1, "cancelled"), (3, "open")):
            Task.objects.create(
                street=street, place=shop, due_on=NOW.date() + timedelta(days=due_on), status=status
            )
        # Overdue and by Sunday the 8th; not cancelled, not Monday the 9th.
        self.assertEqual(oversight.tasks_due_this_week(self.admin), 2)
        self.assertEqual(oversight.tasks_due_this_week(self.world.user("west", Role.ADMIN)), 0)

    def test_a_bounded_number_of_queries(self) -> None:
        oversight.coverage(self.admin, MARCH)  # the reader's scope, loaded once
        with self.assertNumQueries(3):
            oversight.coverage(self.admin, MARCH)
        with self.assertNumQueries(3):
            oversight.orders(self.admin)
        # The streets, their profile (the threshold), the places with their counts.
        with self.assertNumQueries(3):
            oversight.repeat_offenders(self.admin)
