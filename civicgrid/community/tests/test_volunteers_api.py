"""/api/v1/community/ volunteers: who reads what, a volunteer registered (numbered, phone
masked), filtered like the page, changed with its version, posts added and filled (a full
post a 409), the served confirmed in one go, other hours confirmed and one reversed (twice a
409), the ledger with its running total, the street's hours and the certificate PDF; a
resident reads only their own record."""

import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.community.actions import volunteers as actions
from civicgrid.community.models import Volunteer
from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.testing.api import ApiClient, TokenLogin
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2027, 5, 10, 9, 30, tzinfo=SHANGHAI)
NOW = AT + timedelta(days=2)
BASE = "/api/v1/community"


class VolunteerApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_community(cls.w.east, at=AT, mark="东")
        cls.west = build_community(cls.w.west, at=AT, mark="西")
        cls.users = cls.w.east.users

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def api(self, role: str = Role.ADMIN, street: str = "east") -> ApiClient:
        return ApiClient(self.client, self.w.user(street, role))

    def test_who_reads_what(self) -> None:
        e = self.east
        staff = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200, Role.HANDLER: 403}
        for path in ("/teams", "/volunteers", "/volunteer-hours"):
            with self.subTest(path=path):
                assert_matrix(TokenLogin(self.client), BASE + path, {**staff, Role.RESIDENT: 200}, self.users)
        for path in (
            f"/volunteers/{e.volunteer.pk}",
            f"/volunteers/{e.volunteer.pk}/hours",
            f"/teams/{e.team.pk}",
        ):
            with self.subTest(path=path):
                assert_matrix(
                    TokenLogin(self.client), BASE + path, {Role.ADMIN: 200, Role.RESIDENT: 404}, self.users
                )
        # A published activity is the resident's to read, its posts are not.
        assert_matrix(
            TokenLogin(self.client),
            f"{BASE}/activities/{e.activity.pk}/posts",
            {Role.ADMIN: 200, Role.RESIDENT: 403},
            self.users,
        )
        west = self.api(street="west")
        for path in (
            f"/volunteers/{e.volunteer.pk}",
            f"/teams/{e.team.pk}",
            f"/volunteers/{e.volunteer.pk}/certificate.pdf",
            f"/volunteers/{2**63}",
        ):
            self.assertEqual(west.get(path).status_code, 404, path)
        listed = west.get("/community/volunteers").json()
        self.assertEqual([v["name"] for v in listed["results"]], [self.west.volunteer.name])

    def test_register_filter_and_change(self) -> None:
        api = self.api(Role.CADRE)
        made = api.post(
            "/community/volunteers",
            {
                "street": self.w.east.street.pk,
                "name": "钱七",
                "phone": "13877776666",
                "skills": ["repair"],
                "team": self.east.team.pk,
            },
        )
        self.assertEqual(made.status_code, 201, made.content)
        body = made.json()
        self.assertEqual((body["code"], body["phone"]), ("V0002", personal.mask_phone("13877776666")))
        self.assertEqual(
            [v["name"] for v in api.get("/community/volunteers", skill="repair").json()["results"]], ["钱七"]
        )
        self.assertEqual(api.get("/community/volunteers", team=self.west.team.pk).status_code, 400)
        bad = api.post(
            "/community/volunteers", {"street": self.w.east.street.pk, "name": "x", "skills": ["juggling"]}
        )
        self.assertEqual(bad.status_code, 400)
        patch = self.client.patch(
            f"{BASE}/volunteers/{body['id']}",
            json.dumps({"version": body["version"], "team": None, "phone": ""}),
            content_type="application/json",
            headers=api.headers(),
        )
        self.assertEqual(patch.status_code, 200, patch.content)
        self.assertIsNone(patch.json()["team"])
        self.assertEqual(personal.unmasked(Volunteer.objects.get(pk=body["id"]).phone), "13877776666")
        stale = self.client.patch(
            f"{BASE}/volunteers/{body['id']}",
            json.dumps({"version": body["version"], "name": "旧"}),
            content_type="application/json",
            headers=api.headers(),
        )
        self.assertEqual(stale.status_code, 409)

    def test_posts_hours_and_ledger(self) -> None:
        e, api = self.east, self.api()
        path = f"/community/activities/{e.activity.pk}/posts"
        added = api.post(f"{path}/actions/add_slot", {"title": "摄影", "needed": 1, "hours": 1.5})
        self.assertEqual(added.status_code, 200, added.content)
        slot = next(p for p in added.json() if p["title"] == "摄影")
        first = actions.register_volunteer(
            self.w.user("east", Role.ADMIN), street=self.w.east.street, name="甲"
        )
        second = actions.register_volunteer(
            self.w.user("east", Role.ADMIN), street=self.w.east.street, name="乙"
        )
        self.assertEqual(
            api.post(
                f"{path}/actions/assign_volunteer", {"slot": slot["id"], "volunteer": first.pk}
            ).status_code,
            200,
        )
        full = api.post(f"{path}/actions/assign_volunteer", {"slot": slot["id"], "volunteer": second.pk})
        self.assertEqual(full.status_code, 409)
        self.assertIn("摄影", full.json()["error"]["message"])
        posts = api.get(path).json()
        ids = [a["id"] for p in posts for a in p["assignments"]]
        confirmed = api.post(f"{path}/confirm", {"assignments": ids})
        self.assertEqual(confirmed.status_code, 200, confirmed.content)
        self.assertEqual({a["status"] for p in confirmed.json() for a in p["assignments"]}, {"served"})
        self.assertEqual(api.post(f"{path}/confirm", {"assignments": ids}).status_code, 409)
        self.assertEqual(
            api.post(f"{path}/confirm", {"assignments": [self.west.assignment.pk]}).status_code, 400
        )

        v = e.volunteer
        other = api.post(
            f"/community/volunteers/{v.pk}/actions/confirm_hours",
            {"served_on": "2027-05-11", "hours": 2, "description": "巡逻"},
        )
        self.assertEqual(other.status_code, 200, other.content)
        ledger = api.get(f"/community/volunteers/{v.pk}/hours").json()
        self.assertEqual(
            [Decimal(str(r["running_total"])) for r in ledger],
            [Decimal("2.5"), Decimal("5.5"), Decimal("7.5")],
        )
        last = ledger[-1]["id"]
        reverse = api.post(
            f"/community/volunteers/{v.pk}/actions/reverse_hours", {"entry": last, "note": "登记错误"}
        )
        self.assertEqual(reverse.status_code, 200, reverse.content)
        self.assertEqual(Decimal(str(reverse.json()["totals"]["this_year"])), Decimal("5.5"))
        again = api.post(
            f"/community/volunteers/{v.pk}/actions/reverse_hours", {"entry": last, "note": "再冲"}
        )
        self.assertEqual(again.status_code, 409)
        totals = api.get("/community/volunteer-hours", year=2027).json()
        self.assertEqual(Decimal(str(totals["total"])), Decimal("7.0"))  # 2.5 + 3 + 1.5 + 2 − 2
        self.assertEqual(totals["top_teams"][0]["team"]["name"], e.team.name)
        pdf = api.get(f"/community/volunteers/{v.pk}/certificate.pdf", year=2027)
        self.assertEqual(pdf["Content-Type"], "application/pdf")

    def test_a_resident_reads_only_their_own(self) -> None:
        resident = self.users[Role.RESIDENT]
        mine = actions.register_volunteer(
            self.w.user("east", Role.ADMIN), street=self.w.east.street, user=resident, name="我"
        )
        api = ApiClient(self.client, resident)
        self.assertEqual([v["id"] for v in api.get("/community/volunteers").json()["results"]], [mine.pk])
        self.assertEqual(api.get(f"/community/volunteers/{mine.pk}/hours").status_code, 200)
        self.assertEqual(api.get(f"/community/volunteers/{self.east.volunteer.pk}/hours").status_code, 404)
        refused = api.post(
            f"/community/volunteers/{mine.pk}/actions/confirm_hours",
            {"served_on": "2027-05-11", "hours": 2, "description": "x"},
        )
        self.assertEqual(refused.status_code, 403)
