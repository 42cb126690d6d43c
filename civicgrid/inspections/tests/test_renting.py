"""Group renting: registering (by hand, from a complaint case, from a sweep), the register
entry's machine through to closure after the street's number of clean checks in a row, the
re-check tasks, the flat's use, conflicts and scope."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import make_case
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, InvalidInput, NotFound
from civicgrid.core.models import Event
from civicgrid.inspections.actions import renting
from civicgrid.inspections.actions.frames import RENT_FRAME
from civicgrid.inspections.choices import (
    FlatFinding,
    PlaceKind,
    RentAction,
    RentStatus,
    TaskPurpose,
    TaskStatus,
)
from civicgrid.inspections.models import FlatCheck, Place, RentEntry, Task
from civicgrid.profiles.actions import save_profile
from civicgrid.residents.choices import FlatUse
from civicgrid.residents.models import Flat
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)


@time_machine.travel(NOW, tick=False)
class RentingTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        building = cls.world.east.buildings[0]
        cls.flat = Flat.objects.create(
            building=building, street=cls.world.east.street, room="502", floor=5, owner_name="李房东"
        )
        cls.worker = cls.world.user("east", Role.GRID_WORKER)
        cls.dispatcher = cls.world.user("east", Role.DISPATCHER)

    def walk_to_rectified(self, entry: RentEntry) -> RentEntry:
        RENT_FRAME.run(entry, RentAction.CONFIRM, self.worker, {"note": "联合检查", "tenants": 9})
        return RENT_FRAME.run(
            entry, RentAction.RECTIFY, self.worker, {"note": "拆除隔断", "tenants_informed": True}
        )

    def test_register_creates_the_place_from_the_flat(self) -> None:
        entry = renting.register(self.dispatcher, flat=self.flat, clue="夜间人员进出频繁")
        self.assertEqual(entry.status, RentStatus.REPORTED)
        place = entry.place
        self.assertEqual((place.kind, place.flat_id), (PlaceKind.GROUP_RENT, self.flat.pk))
        self.assertEqual(place.responsible_name, "李房东")
        self.assertIn("502", place.name)

    def test_a_flat_with_an_open_entry_is_refused_naming_it(self) -> None:
        entry = renting.register(self.dispatcher, flat=self.flat, clue="a")
        with self.assertRaises(Conflict) as raised:
            renting.register(self.dispatcher, flat=self.flat, clue="b")
        self.assertIn(f"#{entry.pk}", str(raised.exception))
        self.assertEqual(RentEntry.objects.filter(flat=self.flat).count(), 1)

    def test_register_from_case_links_the_case(self) -> None:
        case = make_case(self.world)
        entry = renting.register_from_case(self.dispatcher, case.number, self.flat.pk, "投诉群租")
        self.assertEqual(entry.case_id, case.pk)
        west = self.world.user("west", Role.DISPATCHER)
        with self.assertRaises(NotFound):
            renting.register_from_case(west, case.number, self.flat.pk)

    def test_another_street_cannot_register_or_act(self) -> None:
        west = self.world.user("west", Role.GRID_WORKER)
        with self.assertRaises(NotFound):
            renting.register(west, flat=self.flat)
        with self.assertRaises(NotFound):
            RENT_FRAME.run(self.east.entry, RentAction.CONFIRM, west, {"note": "x"})

    def test_closes_exactly_after_the_streets_clean_checks_in_a_row(self) -> None:
        save_profile(
            self.world.east.street, self.world.user("east", Role.ADMIN), {"inspections.rent_clean_checks": 2}
        )
        entry = renting.register(self.dispatcher, flat=self.flat)
        entry = RENT_FRAME.run(entry, RentAction.CONFIRM, self.worker, {"note": "联合检查", "tenants": 9})
        self.flat.refresh_from_db()
        self.assertEqual(self.flat.use, FlatUse.GROUP_RENTED)
        with self.assertRaises(InvalidInput):
            RENT_FRAME.run(entry, RentAction.RECTIFY, self.worker, {"note": "未告知"})
        entry = RENT_FRAME.run(
            entry, RentAction.RECTIFY, self.worker, {"note": "拆除", "tenants_informed": True}
        )
        self.assertEqual(entry.status, RentStatus.RECTIFIED)
        self.assertEqual(entry.next_check_on, NOW.date() + timedelta(days=30))
        task = Task.objects.get(rent_entry=entry, status=TaskStatus.OPEN)
        self.assertEqual(
            (task.purpose, task.assignee, task.due_on),
            (TaskPurpose.GROUP_RENT, self.worker, entry.next_check_on),
        )

        entry = RENT_FRAME.run(entry, RentAction.CHECK_CLEAN, self.worker, {})
        self.assertEqual((entry.status, entry.clean_checks), (RentStatus.RECTIFIED, 1))
        task.refresh_from_db()
        self.assertEqual(task.status, TaskStatus.DONE)
        self.assertEqual(Task.objects.filter(rent_entry=entry, status=TaskStatus.OPEN).count(), 1)

        entry = RENT_FRAME.run(entry, RentAction.CHECK_CLEAN, self.worker, {})
        self.assertEqual((entry.status, entry.clean_checks), (RentStatus.CLOSED, 2))
        self.assertIsNotNone(entry.closed_at)
        self.assertFalse(Task.objects.filter(rent_entry=entry, status=TaskStatus.OPEN).exists())
        self.flat.refresh_from_db()
        self.assertEqual(self.flat.use, FlatUse.RENTED)
        # Closed: the flat may be registered again.
        renting.register(self.dispatcher, flat=self.flat)

    def test_relapse_resets_the_count(self) -> None:
        entry = self.walk_to_rectified(renting.register(self.dispatcher, flat=self.flat))
        entry = RENT_FRAME.run(entry, RentAction.CHECK_CLEAN, self.worker, {})
        entry = RENT_FRAME.run(entry, RentAction.CHECK_CLEAN, self.worker, {})
        self.assertEqual(entry.clean_checks, 2)
        entry = RENT_FRAME.run(entry, RentAction.CHECK_RELAPSE, self.worker, {"note": "又见隔断"})
        self.assertEqual((entry.status, entry.clean_checks), (RentStatus.CONFIRMED, 0))
        self.assertFalse(Task.objects.filter(rent_entry=entry, status=TaskStatus.OPEN).exists())
        entry = RENT_FRAME.run(
            entry, RentAction.RECTIFY, self.worker, {"note": "再次拆除", "tenants_informed": True}
        )
        for _n in range(2):
            entry = RENT_FRAME.run(entry, RentAction.CHECK_CLEAN, self.worker, {})
        self.assertEqual(entry.status, RentStatus.RECTIFIED)  # the default is three in a row
        entry = RENT_FRAME.run(entry, RentAction.CHECK_CLEAN, self.worker, {})
        self.assertEqual(entry.status, RentStatus.CLOSED)

    def test_what_was_written_with_each_step_is_kept_in_its_event(self) -> None:
        entry = self.walk_to_rectified(renting.register(self.dispatcher, flat=self.flat))
        RENT_FRAME.run(entry, RentAction.CHECK_RELAPSE, self.worker, {"note": "又见隔断"})
        notes = dict(
            Event.objects.filter(app="inspections", object_type="rententry", object_id=entry.pk)
            .exclude(payload__note=None)
            .values_list("action", "payload__note")
        )
        expected = {
            RentAction.CONFIRM: "联合检查",
            RentAction.RECTIFY: "拆除隔断",
            RentAction.CHECK_RELAPSE: "又见隔断",
        }
        self.assertEqual(notes, expected)

    def test_sweep_writes_checks_and_registers_group_rent(self) -> None:
        other = Flat.objects.create(
            building=self.world.east.buildings[0], street=self.world.east.street, room="503", floor=5
        )
        checks = renting.record_flat_checks(
            self.worker,
            self.world.east.buildings[0],
            {self.flat.pk: (FlatFinding.GROUP_RENT, "隔成六间"), other.pk: (FlatFinding.CLEAN, "")},
        )
        self.assertEqual(len(checks), 2)
        entry = RentEntry.objects.get(flat=self.flat)
        self.assertEqual(FlatCheck.objects.get(flat=self.flat).entry_id, entry.pk)
        self.assertFalse(RentEntry.objects.filter(flat=other).exists())
        # The flat of the seam already has an open entry: linked, not registered twice.
        renting.record_flat_checks(
            self.worker, self.world.east.buildings[0], {self.east.flat.pk: (FlatFinding.SUSPECTED, "")}
        )
        self.assertEqual(RentEntry.objects.filter(flat=self.east.flat).count(), 1)
        self.assertTrue(Place.objects.filter(flat=self.flat).exists())

    def test_sweep_refuses_a_flat_of_another_building_naming_it(self) -> None:
        far = Flat.objects.create(
            building=self.world.east.buildings[-1], street=self.world.east.street, room="101", floor=1
        )
        with self.assertRaises(InvalidInput) as raised:
            renting.record_flat_checks(
                self.worker,
                self.world.east.buildings[0],
                {self.flat.pk: (FlatFinding.CLEAN, ""), far.pk: (FlatFinding.CLEAN, "")},
            )
        self.assertIn(str(far.pk), raised.exception.fields)
        self.assertFalse(FlatCheck.objects.exists())


@time_machine.travel(NOW, tick=False)
class RentingPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.building = cls.world.east.buildings[0]
        cls.flat = Flat.objects.create(
            building=cls.building, street=cls.world.east.street, room="602", floor=6
        )

    def login(self, role: str, street: str = "east") -> None:
        self.client.force_login(self.world.user(street, role))

    def test_case_panel_registers_the_flat_and_then_shows_the_entry(self) -> None:
        case = make_case(self.world)
        Case.objects.filter(pk=case.pk).update(building=self.building)
        self.login(Role.DISPATCHER)
        page = self.client.get(reverse("cases:case", args=[case.number]))
        self.assertContains(page, reverse("inspections:rent_from_case", args=[case.number]))
        self.assertContains(page, "602")
        done = self.client.post(
            reverse("inspections:rent_from_case", args=[case.number]),
            {"flat": self.flat.pk, "clue": "投诉群租"},
        )
        entry = RentEntry.objects.get(flat=self.flat)
        self.assertRedirects(done, entry.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(entry.case_id, case.pk)
        page = self.client.get(reverse("cases:case", args=[case.number]))
        self.assertContains(page, entry.get_absolute_url())

    def test_entry_page_actions_and_list(self) -> None:
        self.login(Role.GRID_WORKER)
        entry = self.east.entry
        url = reverse("inspections:rent_entry", args=[entry.pk])
        self.assertContains(
            self.client.get(url), reverse("inspections:rent_action", args=[entry.pk, "confirm"])
        )
        self.client.post(
            reverse("inspections:rent_action", args=[entry.pk, "confirm"]),
            {"note": "联合检查", "tenants": 6, "version": entry.version},
        )
        entry.refresh_from_db()
        self.assertEqual(entry.status, RentStatus.CONFIRMED)
        listed = self.client.get(reverse("inspections:renting"), {"status": "confirmed"})
        self.assertContains(listed, entry.get_absolute_url())
        self.assertNotContains(
            self.client.get(reverse("inspections:renting"), {"status": "closed"}), entry.get_absolute_url()
        )

    def test_sweep_page_records_and_coverage_shows_it(self) -> None:
        self.login(Role.LEADER)
        url = reverse("inspections:sweep", args=[self.building.pk])
        self.assertContains(self.client.get(url), f"flat_{self.flat.pk}")
        self.client.post(url, {f"flat_{self.flat.pk}": FlatFinding.SUSPECTED})
        self.assertEqual(FlatCheck.objects.get(flat=self.flat).finding, FlatFinding.SUSPECTED)
        self.assertTrue(RentEntry.objects.filter(flat=self.flat).exists())
        page = self.client.get(reverse("inspections:coverage"))
        self.assertContains(page, "finding-suspected")

    def test_another_street_gets_404(self) -> None:
        self.login(Role.LEADER, "west")
        self.assertEqual(
            self.client.get(reverse("inspections:rent_entry", args=[self.east.entry.pk])).status_code, 404
        )
        self.assertEqual(
            self.client.get(reverse("inspections:sweep", args=[self.building.pk])).status_code, 404
        )
