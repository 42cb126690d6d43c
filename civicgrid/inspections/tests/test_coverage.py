"""Coverage of the sweep: flats and floors checked per building, floor by floor with the latest
finding of the period, the sums per residential area, scope, and a fixed number of queries."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.inspections.actions.renting import record_flat_checks
from civicgrid.inspections.choices import FlatFinding
from civicgrid.inspections.coverage import coverage
from civicgrid.inspections.models import FlatCheck
from civicgrid.residents.models import Flat
from civicgrid.testing.factories import build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)


@time_machine.travel(NOW, tick=False)
class CoverageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.building = cls.world.east.buildings[1]
        street = cls.world.east.street
        cls.flats = {
            (floor, room): Flat.objects.create(
                building=cls.building, street=street, room=f"{floor}0{room}", floor=floor
            )
            for floor in (1, 2, 3)
            for room in (1, 2)
        }
        cls.worker = cls.world.user("east", Role.LEADER)
        # An old check outside the period, then this month's sweep of floors 1 and 3.
        record_flat_checks(
            cls.worker, cls.building, {cls.flats[2, 1].pk: (FlatFinding.CLEAN, "")}, date(2026, 1, 5)
        )
        record_flat_checks(
            cls.worker,
            cls.building,
            {cls.flats[1, 1].pk: (FlatFinding.NO_ACCESS, ""), cls.flats[3, 2].pk: (FlatFinding.CLEAN, "")},
            date(2026, 3, 2),
        )
        record_flat_checks(
            cls.worker, cls.building, {cls.flats[1, 1].pk: (FlatFinding.CLEAN, "")}, date(2026, 3, 4)
        )

    def building_coverage(self, user=None):  # type: ignore[no-untyped-def]
        areas = coverage(user or self.worker, since=date(2026, 3, 1), until=date(2026, 3, 31))
        found = [b for a in areas for b in a.buildings if b.building.pk == self.building.pk]
        return areas, found

    def test_numbers_per_building_and_floor(self) -> None:
        _areas, (item,) = self.building_coverage()
        self.assertEqual((item.flats_checked, item.flats), (2, 6))
        self.assertEqual((item.floors_checked, item.floor_count), (2, 3))
        self.assertEqual([row.floor for row in item.floors], [3, 2, 1])
        grid = {row.floor: {c.room: c.finding for c in row.flats} for row in item.floors}
        # The latest finding of the period wins; January's check is outside it.
        self.assertEqual(
            grid, {3: {"301": "", "302": "clean"}, 2: {"201": "", "202": ""}, 1: {"101": "clean", "102": ""}}
        )

    def test_sums_per_residential_area(self) -> None:
        areas, (item,) = self.building_coverage()
        area = next(a for a in areas if item in a.buildings)
        self.assertEqual(area.flats, sum(b.flats for b in area.buildings))
        self.assertEqual(area.flats_checked, 2)
        self.assertEqual(area.floors_checked, 2)
        self.assertGreaterEqual(area.floor_count, 3)

    def test_another_street_sees_none_of_it(self) -> None:
        _areas, found = self.building_coverage(self.world.user("west", Role.LEADER))
        self.assertEqual(found, [])

    def test_query_count_does_not_grow_with_flats(self) -> None:
        for n in range(10):
            Flat.objects.create(building=self.building, street=self.world.east.street, room=f"90{n}", floor=9)
        FlatCheck.objects.create(
            street=self.world.east.street,
            flat=self.flats[2, 2],
            checked_on=date(2026, 3, 5),
            finding=FlatFinding.CLEAN,
        )
        with self.assertNumQueries(3):
            self.building_coverage()
