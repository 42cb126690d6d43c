"""/api/v1/inspections/ group renting: register (incl. from a case number) with the 409 of an
open entry, the machine through actions with the version check, flat checks, coverage, scope."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.cases.tests.factories import make_case
from civicgrid.core.choices import Role
from civicgrid.inspections.choices import RentStatus
from civicgrid.inspections.models import FlatCheck, RentEntry
from civicgrid.residents.models import Flat
from civicgrid.testing.api import ApiClient
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

NOW = datetime(2026, 3, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
BASE = "/inspections"


@time_machine.travel(NOW, tick=False)
class RentingApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.flat = Flat.objects.create(
            building=cls.world.east.buildings[0], street=cls.world.east.street, room="702", floor=7
        )

    def api(self, role: str, street: str = "east") -> ApiClient:
        return ApiClient(self.client, self.world.user(street, role), scopes=("read", "write"))

    def test_register_from_case_then_conflict(self) -> None:
        case = make_case(self.world)
        api = self.api(Role.DISPATCHER)
        made = api.post(f"{BASE}/rent-entries", {"flat": self.flat.pk, "case": case.number, "clue": "投诉"})
        self.assertEqual(made.status_code, 201, made.content)
        self.assertEqual(made.json()["case"], case.number)
        again = api.post(f"{BASE}/rent-entries", {"flat": self.flat.pk})
        self.assertEqual(again.status_code, 409)
        listed = api.get(f"{BASE}/rent-entries", case=case.number).json()
        self.assertEqual([r["id"] for r in listed["results"]], [made.json()["id"]])

    def test_actions_with_version(self) -> None:
        api = self.api(Role.GRID_WORKER)
        entry = self.east.entry
        url = f"{BASE}/rent-entries/{entry.pk}/actions"
        stale = api.post(f"{url}/confirm", {"note": "联合检查", "version": entry.version + 5})
        self.assertEqual(stale.status_code, 409)
        done = api.post(f"{url}/confirm", {"note": "联合检查", "tenants": 8, "version": entry.version})
        self.assertEqual(done.status_code, 200, done.content)
        self.assertEqual(done.json()["status"], RentStatus.CONFIRMED)
        refused = api.post(f"{url}/rectify", {"note": "拆除"})
        self.assertEqual(refused.status_code, 400)
        body = api.post(f"{url}/rectify", {"note": "拆除", "tenants_informed": True}).json()
        self.assertEqual((body["status"], body["clean_checks_required"]), (RentStatus.RECTIFIED, 3))

    def test_flat_checks_and_coverage(self) -> None:
        api = self.api(Role.LEADER)
        building = self.world.east.buildings[0]
        posted = api.post(
            f"{BASE}/flat-checks",
            {
                "building": building.pk,
                "findings": [{"flat": self.flat.pk, "finding": "group_rent", "note": "隔断"}],
            },
        )
        self.assertEqual(posted.status_code, 201, posted.content)
        self.assertIsNotNone(posted.json()[0]["entry"])
        self.assertTrue(RentEntry.objects.filter(flat=self.flat).exists())
        wrong = api.post(
            f"{BASE}/flat-checks",
            {"building": building.pk, "findings": [{"flat": 999999, "finding": "clean"}]},
        )
        self.assertEqual(wrong.status_code, 400)
        self.assertIn("999999", wrong.content.decode())
        listed = api.get(f"{BASE}/flat-checks", building=building.pk).json()
        self.assertEqual(listed["count"], 1)
        cov = api.get(f"{BASE}/coverage").json()
        row = next(b for b in cov["buildings"] if b["id"] == building.pk)
        self.assertEqual(row["flats_checked"], 1)

    def test_another_street_sees_nothing(self) -> None:
        west = self.api(Role.LEADER, "west")
        self.assertEqual(west.get(f"{BASE}/rent-entries/{self.east.entry.pk}").status_code, 404)
        self.assertEqual(west.get(f"{BASE}/rent-entries").json()["count"], 0)
        self.assertEqual(
            west.post(f"{BASE}/rent-entries/{self.east.entry.pk}/actions/dismiss", {"note": "x"}).status_code,
            404,
        )
        self.assertFalse(FlatCheck.objects.exists())
