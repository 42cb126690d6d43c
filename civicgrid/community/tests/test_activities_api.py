"""/api/v1/community/ venues and activities: who reads what, the list's filter, a draft created
and published, sign-ups through the action endpoint (full → 409 naming the capacity, a stale
version → 409), and the sign-ups list (a resident's token: only their own; phones masked)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.community.models import Activity
from civicgrid.core.choices import Role
from civicgrid.testing.api import ApiClient, TokenLogin
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2027, 3, 10, 14, 0, tzinfo=SHANGHAI)
NOW = AT - timedelta(days=2)
BASE = "/api/v1/community"


class ActivityApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_community(cls.w.east, at=AT, mark="东")
        cls.west = build_community(cls.w.west, at=AT, mark="西")
        cls.users = cls.w.east.users
        Activity.objects.filter(pk=cls.east.activity.pk).update(area=cls.w.east.residential[0])

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def api(self, role: str = Role.CADRE, street: str = "east") -> ApiClient:
        return ApiClient(self.client, self.w.user(street, role))

    def test_who_reads_what(self) -> None:
        e = self.east
        readers = {Role.ADMIN: 200, Role.CADRE: 200, Role.RESIDENT: 200, Role.HANDLER: 403}
        for path in ("/venues", "/activities", f"/activities/{e.activity.pk}"):
            with self.subTest(path=path):
                assert_matrix(TokenLogin(self.client), BASE + path, readers, self.users)
        # The venue is the other committee's: not the cadre's.
        venue = {**readers, Role.CADRE: 404}
        assert_matrix(TokenLogin(self.client), f"{BASE}/venues/{e.venue.pk}", venue, self.users)
        west = self.api(Role.ADMIN, "west")
        for path in (
            f"/venues/{e.venue.pk}",
            f"/activities/{e.activity.pk}",
            f"/activities/{e.activity.pk}/sign-ups",
        ):
            self.assertEqual(west.get(f"/community{path}").status_code, 404, path)

    def test_the_list_filters_like_the_page(self) -> None:
        api = self.api(Role.ADMIN)
        found = api.get("/community/activities", audience="elderly").json()
        self.assertEqual([r["id"] for r in found["results"]], [self.east.activity.pk])
        self.assertEqual(found["results"][0]["confirmed"], 2)
        self.assertEqual(api.get("/community/activities", audience="children").json()["count"], 0)
        bad = api.get("/community/activities", date_from="2027-02-30")
        self.assertEqual(bad.status_code, 400)

    def test_create_publish_and_sign_up(self) -> None:
        api = self.api(Role.ADMIN)
        made = api.post(
            "/community/activities",
            {
                "venue": self.east.venue.pk,
                "room": self.east.room.pk,
                "title": "健康讲座",
                "category": "health",
                "organiser": "社区卫生服务中心",
                "starts_at": "2027-03-12T09:00:00+08:00",
                "ends_at": "2027-03-12T10:30:00+08:00",
                "capacity": 1,
                "waiting_limit": 0,
            },
        )
        self.assertEqual(made.status_code, 201, made.content)
        body = made.json()
        self.assertEqual((body["status"], body["area"]["code"]), ("draft", self.w.east.residential[1].code))
        pk = body["id"]
        published = api.post(f"/community/activities/{pk}/actions/publish", {"version": body["version"]})
        self.assertEqual(published.json()["status"], "open")
        stale = api.post(
            f"/community/activities/{pk}/actions/sign_up",
            {"version": 1, "name": "甲", "phone": "13700000001"},
        )
        self.assertEqual(stale.status_code, 409)
        ok = api.post(f"/community/activities/{pk}/actions/sign_up", {"name": "甲", "phone": "13700000001"})
        self.assertEqual(ok.json()["confirmed"], 1)
        full = self.api(Role.RESIDENT).post(f"/community/activities/{pk}/actions/sign_up", {})
        self.assertEqual(full.status_code, 409)
        self.assertIn(
            "名额已满（1 人）", full.json()["detail"] if "detail" in full.json() else full.content.decode()
        )

    def test_a_resident_reads_only_their_own_sign_ups(self) -> None:
        path = f"/community/activities/{self.east.activity.pk}/sign-ups"
        mine = self.api(Role.RESIDENT).get(path).json()
        self.assertEqual([r["id"] for r in mine["results"]], [self.east.resident_sign_up.pk])
        self.assertTrue(mine["results"][0]["own"])
        staff = self.api(Role.CADRE).get(path).json()
        self.assertEqual(staff["count"], 2)
        self.assertNotIn("13700001111", str(staff))
