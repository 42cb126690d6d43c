"""Recording an inspection: results item by item, counts, an order per failed item with its
deadline, the task completed, validation, and the phone draft's key recorded once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import transaction
from django.test import TestCase, TransactionTestCase

from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, InvalidInput, NotFound
from civicgrid.inspections import checklists
from civicgrid.inspections.actions.records import record_inspection
from civicgrid.inspections.choices import DeadlineUnit, Outcome, Severity, TaskStatus
from civicgrid.inspections.models import Inspection, ItemResult, Order, Task
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)  # a Friday


def answers(place, fail=(), na=()):  # type: ignore[no-untyped-def]
    items = checklists.current(place.street_id, place.kind).items.all()
    return {
        item.pk: Outcome.FAIL
        if item.code in fail
        else Outcome.NOT_APPLICABLE
        if item.code in na
        else Outcome.PASS
        for item in items
    }


@time_machine.travel(NOW, tick=False)
class RecordTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.worker = cls.world.user("east", Role.GRID_WORKER)
        cls.items = list(checklists.current(cls.east.shop.street_id, cls.east.shop.kind).items.all())

    def test_task_recorded_with_counts_orders_and_completion(self) -> None:
        serious = next(i for i in self.items if i.severity == Severity.SERIOUS)
        other = next(i for i in self.items if i != serious)
        results = answers(self.east.shop, fail={serious.code}, na={other.code})
        results[serious.pk] = {"outcome": Outcome.FAIL, "note": "插线板串接"}
        before = Order.objects.count()
        inspection = record_inspection(
            self.worker,
            task=self.east.task.pk,
            results=results,
            note="例行检查",
            checkin_lon=self.east.shop.lon,
            checkin_lat=self.east.shop.lat,
            findings={serious.pk: {"deadline_amount": 3, "deadline_unit": DeadlineUnit.WORKING_DAYS}},
        )
        self.assertEqual(
            (inspection.passed, inspection.failed, inspection.not_applicable), (len(self.items) - 2, 1, 1)
        )
        self.assertEqual(inspection.distance_m, 0)
        self.assertEqual(ItemResult.objects.filter(inspection=inspection).count(), len(self.items))
        self.assertEqual(Order.objects.count(), before + 1)
        order = Order.objects.get(inspection=inspection)
        self.assertEqual(
            (order.finding, order.severity, order.rule), ("插线板串接", serious.severity, serious.rule)
        )
        # 3 working days from Friday 6 March: Wednesday 11 March.
        self.assertEqual(order.due_at.astimezone(SHANGHAI).date().isoformat(), "2026-03-11")
        task = Task.objects.get(pk=self.east.task.pk)
        self.assertEqual((task.status, task.inspection_id), (TaskStatus.DONE, inspection.pk))

    def test_every_item_must_be_answered(self) -> None:
        results = answers(self.east.shop)
        missing = self.items[0].pk
        del results[missing]
        results[999999] = Outcome.PASS
        before = Inspection.objects.count()
        with self.assertRaises(InvalidInput) as raised:
            record_inspection(self.worker, place=self.east.shop, results=results)
        self.assertEqual(
            raised.exception.fields["results"], {"missing": [str(missing)], "invalid": ["999999"]}
        )
        self.assertEqual(Inspection.objects.count(), before)

    def test_inspected_time_bounded(self) -> None:
        for at in (NOW + timedelta(hours=1), NOW - timedelta(days=8)):
            with self.subTest(at=at), self.assertRaises(InvalidInput):
                record_inspection(
                    self.worker, place=self.east.shop, results=answers(self.east.shop), inspected_at=at
                )
        earlier = NOW - timedelta(days=2)
        done = record_inspection(
            self.worker, place=self.east.shop, results=answers(self.east.shop), inspected_at=earlier
        )
        self.assertEqual(done.inspected_at, earlier)

    def test_place_outside_scope_is_not_found(self) -> None:
        with self.assertRaises(NotFound):
            record_inspection(self.worker, place=self.east.petrol, results=answers(self.east.petrol))

    def test_far_check_in_is_flagged_not_refused(self) -> None:
        done = record_inspection(
            self.worker,
            place=self.east.shop,
            results=answers(self.east.shop),
            checkin_lon=self.east.shop.lon + 0.05,
            checkin_lat=self.east.shop.lat,
        )
        self.assertGreater(done.distance_m, 1000)

    def test_same_client_key_twice_is_one_inspection(self) -> None:
        fail = {self.items[0].code}
        first = record_inspection(
            self.worker, task=self.east.task, results=answers(self.east.shop, fail=fail), client_key="draft-1"
        )
        orders = Order.objects.count()
        again = record_inspection(
            self.worker, task=self.east.task, results=answers(self.east.shop, fail=fail), client_key="draft-1"
        )
        self.assertEqual(again.pk, first.pk)
        self.assertEqual(Inspection.objects.filter(client_key="draft-1").count(), 1)
        self.assertEqual(Order.objects.count(), orders)
        with self.assertRaises(Conflict):
            record_inspection(
                self.worker,
                place=self.east.flat_place,
                results=answers(self.east.flat_place),
                client_key="draft-1",
            )


@time_machine.travel(NOW, tick=False)
class RaceTests(TransactionTestCase):
    def test_loser_of_a_race_answers_with_the_winner(self) -> None:
        world = build_world()
        east = build_inspections(world.east)
        worker = world.user("east", Role.GRID_WORKER)
        results = answers(east.shop)
        with transaction.atomic():
            # The other submit committed between our check for the key and our insert.
            winner = Inspection.objects.create(
                street_id=east.shop.street_id,
                place=east.shop,
                checklist=checklists.current(east.shop.street_id, east.shop.kind),
                inspector=worker,
                inspected_at=NOW,
                client_key="race",
            )
        from civicgrid.inspections.actions import records

        real = records._replayed
        calls = []

        def late(key, place, task):  # type: ignore[no-untyped-def]
            calls.append(key)
            return None if len(calls) == 1 else real(key, place, task)

        records._replayed = late  # type: ignore[assignment]
        try:
            got = record_inspection(worker, place=east.shop, results=results, client_key="race")
        finally:
            records._replayed = real  # type: ignore[assignment]
        self.assertEqual(got.pk, winner.pk)
        self.assertEqual(Inspection.objects.filter(client_key="race").count(), 1)
