"""Places and checklists: save_place (create, change, scope, located into its grid, version
conflicts) and revise_checklist (a new revision, the old one kept, an inspection keeping the
revision it used, one of two concurrent revisions winning)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.core.cache import cache
from django.test import TestCase

from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, InvalidInput, NotFound
from civicgrid.core.models import Event
from civicgrid.inspections import checklists
from civicgrid.inspections.actions.places import revise_checklist, save_place
from civicgrid.inspections.choices import PlaceKind, RiskLevel, Severity, TaskPurpose
from civicgrid.inspections.filters import places
from civicgrid.inspections.models import Checklist, Inspection, Place
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

NOW = datetime(2026, 3, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def items_of(checklist: Checklist) -> list[tuple[str, str, str]]:
    return list(checklist.items.order_by("position").values_list("code", "text", "severity"))


@time_machine.travel(NOW, tick=False)
class PlaceActionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.admin = cls.world.user("east", Role.ADMIN)

    def setUp(self) -> None:
        cache.clear()  # the spatial index is rebuilt from this test's areas

    def test_create_in_the_grid_of_its_building(self) -> None:
        building = self.world.east.buildings[1]
        place = save_place(
            self.admin,
            kind=PlaceKind.CHARGING,
            name="  小区充电棚 ",
            building=building,
            responsible_name="李师傅",
            responsible_phone="13700002222",
            risk=RiskLevel.MEDIUM,
        )
        place.refresh_from_db()
        self.assertEqual((place.street_id, place.grid_id), (building.street_id, building.grid_id))
        self.assertEqual((place.name, place.address), ("小区充电棚", building.address))
        self.assertEqual(personal.unmasked(place.responsible_phone), "13700002222")
        self.assertTrue(Event.objects.filter(object_id=place.pk, action="place_add").exists())

    def test_a_flat_sets_its_building(self) -> None:
        place = save_place(self.admin, kind=PlaceKind.GROUP_RENT, name="群租房", flat=self.east.flat)
        self.assertEqual(place.building_id, self.east.flat.building_id)
        self.assertEqual(place.grid_id, self.east.flat.building.grid_id)
        other = self.world.east.buildings[-1]
        with self.assertRaises(InvalidInput) as refused:
            save_place(self.admin, kind=PlaceKind.GROUP_RENT, name="x", flat=self.east.flat, building=other)
        self.assertIn("flat", refused.exception.fields)

    def test_located_by_its_position(self) -> None:
        grid = self.world.east.grids[0]
        point = grid.shape.centroid
        place = save_place(self.admin, kind=PlaceKind.SITE, name="工地", lon=point.x, lat=point.y)
        self.assertEqual((place.street_id, place.grid_id), (self.world.east.street.pk, grid.pk))
        with self.assertRaises(InvalidInput) as nowhere:
            save_place(self.admin, kind=PlaceKind.SITE, name="工地", lon=100.0, lat=20.0)
        self.assertIn("lon", nowhere.exception.fields)
        with self.assertRaises(InvalidInput) as unplaced:
            save_place(self.admin, kind=PlaceKind.SITE, name="工地")
        self.assertIn("building", unplaced.exception.fields)

    def test_bad_input_names_the_field(self) -> None:
        building = self.world.east.buildings[0]
        for fields, name in (
            ({"kind": "zoo", "name": "x"}, "kind"),
            ({"kind": PlaceKind.SMALL, "name": "  "}, "name"),
            ({"kind": PlaceKind.SMALL, "name": "x", "risk": "extreme"}, "risk"),
            ({"kind": PlaceKind.SMALL, "name": "x", "area_m2": "-3"}, "area_m2"),
            ({"kind": PlaceKind.SMALL, "name": "x", "colour": "red"}, "colour"),
        ):
            with self.subTest(name=name), self.assertRaises(InvalidInput) as refused:
                save_place(self.admin, building=building, **fields)
            self.assertIn(name, refused.exception.fields)

    def test_outside_the_actors_scope_is_refused(self) -> None:
        west_building = self.world.west.buildings[0]
        with self.assertRaises(NotFound):
            save_place(self.admin, kind=PlaceKind.SMALL, name="越界", building=west_building)
        self.assertFalse(Place.objects.filter(name="越界").exists())
        with self.assertRaises(NotFound):
            save_place(self.world.user("west", Role.ADMIN), place=self.east.shop, name="改名")
        # A grid worker may see places but not keep them.
        with self.assertRaises(NotFound):
            save_place(self.world.user("east", Role.GRID_WORKER), place=self.east.shop, name="改名")
        # Nor may a change move a place out of the actor's street.
        with self.assertRaises(NotFound):
            save_place(self.admin, place=self.east.shop, building=west_building)
        self.east.shop.refresh_from_db()
        self.assertEqual(self.east.shop.street_id, self.world.east.street.pk)

    def test_update_is_version_checked(self) -> None:
        shop = self.east.shop
        first = save_place(self.admin, place=shop, version=shop.version, risk=RiskLevel.HIGH, note="复查重点")
        self.assertEqual((first.version, first.risk), (shop.version + 1, RiskLevel.HIGH))
        with self.assertRaises(Conflict):  # the second writer read the same version
            save_place(self.admin, place=shop, version=shop.version, name="他人改名")
        shop.refresh_from_db()
        self.assertEqual((shop.name, shop.note), (f"{self.world.east.street.name}便利店", "复查重点"))
        self.assertTrue(Event.objects.filter(object_id=shop.pk, action="place_change").exists())

    def test_filter_by_kind_area_and_open_orders(self) -> None:
        grid = self.east.shop.grid
        self.assertEqual(
            set(places(self.admin, {"open_orders": "true"}).values_list("pk", flat=True)), {self.east.shop.pk}
        )
        self.assertEqual(
            set(places(self.admin, {"kind": PlaceKind.PETROL}).values_list("pk", flat=True)),
            {self.east.petrol.pk},
        )
        in_grid = set(places(self.admin, {"area": grid.code}).values_list("pk", flat=True))
        self.assertIn(self.east.shop.pk, in_grid)
        self.assertNotIn(self.east.petrol.pk, in_grid)
        with self.assertRaises(InvalidInput) as refused:  # another street's area is unknown
            places(self.admin, {"area": self.world.west.grids[0].code})
        self.assertIn("area", refused.exception.fields)


NEW_ITEMS = [
    {"code": "A1", "text": "灭火器在有效期内", "severity": Severity.GENERAL, "rule": "消防法"},
    {"code": "A2", "text": "疏散通道畅通", "severity": Severity.SERIOUS},
]


@time_machine.travel(NOW, tick=False)
class ChecklistRevisionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.admin = cls.world.user("east", Role.ADMIN)

    def test_revise_keeps_the_old_revision_and_the_inspection_keeps_its_own(self) -> None:
        first = checklists.current(self.world.east.street.pk, PlaceKind.PETROL)
        old_items = items_of(first)
        inspection = Inspection.objects.create(
            street=self.world.east.street,
            place=self.east.petrol,
            checklist=first,
            purpose=TaskPurpose.ROUTINE,
            inspector=self.admin,
            inspected_at=NOW,
        )
        second = revise_checklist(
            self.admin, first, items=NEW_ITEMS, change_note="按新规修订", title="加油站检查表"
        )
        self.assertEqual((second.revision, second.current, second.change_note), (2, True, "按新规修订"))
        self.assertEqual(
            items_of(second), [("A1", "灭火器在有效期内", "general"), ("A2", "疏散通道畅通", "serious")]
        )
        first.refresh_from_db()
        self.assertFalse(first.current)
        self.assertEqual(items_of(first), old_items)
        inspection.refresh_from_db()
        self.assertEqual(inspection.checklist_id, first.pk)
        self.assertEqual(items_of(inspection.checklist), old_items)
        self.assertEqual(checklists.current(self.world.east.street.pk, PlaceKind.PETROL), second)
        self.assertTrue(Event.objects.filter(object_id=second.pk, action="checklist_revise").exists())

    def test_two_editors_of_one_revision_one_wins(self) -> None:
        first = checklists.current(self.world.east.street.pk, PlaceKind.PARK)
        stale = Checklist.objects.get(pk=first.pk)  # the second editor's copy, read before the first saved
        revise_checklist(self.admin, first, items=NEW_ITEMS, change_note="甲修订")
        with self.assertRaises(Conflict):
            revise_checklist(self.admin, stale, items=NEW_ITEMS[:1], change_note="乙修订")
        revisions = Checklist.objects.filter(street=self.world.east.street, place_kind=PlaceKind.PARK)
        self.assertEqual(sorted(revisions.values_list("revision", "current")), [(1, False), (2, True)])

    def test_items_are_checked_row_by_row(self) -> None:
        first = checklists.current(self.world.east.street.pk, PlaceKind.SITE)
        for items, field in (
            ([], "items"),
            ([{"code": "A1", "text": "x"}, {"code": "A1", "text": "y"}], "items.2.code"),
            ([{"code": "A1", "text": ""}], "items.1.text"),
            ([{"code": "A1", "text": "x", "severity": "huge"}], "items.1.severity"),
            ([{"code": "A1", "text": "x", "hazard": "dragons"}], "items.1.hazard"),
        ):
            with self.subTest(field=field), self.assertRaises(InvalidInput) as refused:
                revise_checklist(self.admin, first, items=items, change_note="x")
            self.assertIn(field, refused.exception.fields)
        first.refresh_from_db()
        self.assertTrue(first.current)

    def test_only_the_streets_checklist_keepers_revise(self) -> None:
        first = checklists.current(self.world.east.street.pk, PlaceKind.BASEMENT)
        for user in (self.world.user("east", Role.LEADER), self.world.user("west", Role.ADMIN)):
            with self.subTest(user=user.username), self.assertRaises(NotFound):
                revise_checklist(user, first, items=NEW_ITEMS, change_note="x")
        self.assertEqual(
            Checklist.objects.filter(street=self.world.east.street, place_kind=PlaceKind.BASEMENT).count(), 1
        )
