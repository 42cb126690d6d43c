"""The service centre's API: the catalogue with today's responsible, the slots of a day, a
resident booking (masked phone) until the slot is full (409), the desk's steps through the
action endpoint, a 上门办 requested and scheduled, leave recorded; another street's rows 404."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.testing.api import ApiClient
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 10, 15, 10, 0, tzinfo=SHANGHAI)
BASE = "/community/service"


class ServiceApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_community(cls.world.east, at=NOW - timedelta(days=30), mark="甲")
        cls.west = build_community(cls.world.west, at=NOW - timedelta(days=30), mark="乙")

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def api(self, role: str = Role.ADMIN, street: str = "east") -> ApiClient:
        return ApiClient(self.client, self.world.user(street, role))

    def test_catalogue_slots_booking_and_steps(self) -> None:
        resident, admin = self.api(Role.RESIDENT), self.api()
        items = resident.get(f"{BASE}/items").json()["results"]
        self.assertEqual([(i["name"], i["responsible"]) for i in items], [(self.east.item.name, "a")])
        slots = resident.get(f"{BASE}/items/{self.east.item.pk}/slots", day="2027-10-18").json()
        self.assertEqual((len(slots), slots[2]["left"]), (16, 2))
        start = slots[2]["starts_at"]
        made = resident.post(
            f"{BASE}/appointments", {"item": self.east.item.pk, "starts_at": start, "phone": "13812345678"}
        )
        self.assertEqual(made.status_code, 201, made.content)
        self.assertEqual((made.json()["phone"], made.json()["actions"]), ("138****5678", ["cancel"]))
        admin.post(f"{BASE}/appointments", {"item": self.east.item.pk, "starts_at": start, "name": "张"})
        full = admin.post(
            f"{BASE}/appointments", {"item": self.east.item.pk, "starts_at": start, "name": "李"}
        )
        self.assertEqual(full.status_code, 409)
        self.assertIn("该时段已约满", full.content.decode())
        mine = resident.get(f"{BASE}/appointments").json()["results"]
        self.assertEqual({a["id"] for a in mine}, {made.json()["id"], self.east.appointment.pk})
        came = admin.post(f"{BASE}/walk-ins", {"item": self.east.item.pk, "name": "赵"}).json()
        called = admin.post(f"{BASE}/appointments/{came['id']}/actions/call", {"version": came["version"]})
        self.assertEqual((called.status_code, called.json()["status"]), (200, "serving"))

    def test_home_service_and_leave(self) -> None:
        admin = self.api()
        made = admin.post(
            f"{BASE}/home-services",
            {
                "item": self.east.item.pk,
                "reason": "alone_elderly",
                "name": "孙",
                "address": "梧桐路 9 弄 1 号",
            },
        )
        self.assertEqual(made.status_code, 201, made.content)
        body = made.json()
        self.assertNotIn("梧桐路 9 弄 1 号", body["address"])
        done = admin.post(
            f"{BASE}/home-services/{body['id']}/actions/schedule", {"visit_at": "2027-10-18T14:00:00+08:00"}
        )
        self.assertEqual((done.status_code, done.json()["status"]), (200, "scheduled"))
        leave = admin.post(
            f"{BASE}/leave",
            {
                "user": self.east.b_staff.pk,
                "kind": "sick",
                "starts_at": "2027-10-15T08:00:00+08:00",
                "ends_at": "2027-10-15T18:00:00+08:00",
            },
        )
        self.assertEqual(leave.status_code, 201, leave.content)
        self.assertEqual(admin.post(f"{BASE}/leave/{leave.json()['id']}/cancel").status_code, 200)
        self.assertEqual(self.api(Role.RESIDENT).get(f"{BASE}/leave").status_code, 403)

    def test_another_streets_rows(self) -> None:
        west = self.api(street="west")
        for path in (
            f"/items/{self.east.item.pk}",
            f"/appointments/{self.east.appointment.pk}",
            f"/home-services/{self.east.home_service.pk}",
        ):
            self.assertEqual(west.get(BASE + path).status_code, 404, path)
