"""/api/v1/programmes/ welfare: who reads what, the member register (masked phone, PATCH with
its version, deactivation), a project created with asks, published, claimed in part and covered
exactly (over-claiming a 400 naming `quantity`), the claim's steps, the confirmation PDF and a
unit's statement; ids outside the scope and out of range are 404."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.programmes.models import Claim
from civicgrid.testing.api import ApiClient, TokenLogin
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.programmes import build_programmes

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 10, 15, 10, 0, tzinfo=SHANGHAI)
BASE = "/api/v1/programmes"


class WelfareApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_programmes(cls.world.east, mark="甲")
        cls.west = build_programmes(cls.world.west, mark="乙")
        cls.users = cls.world.east.users

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def api(self, role: str = Role.ADMIN, street: str = "east") -> ApiClient:
        return ApiClient(self.client, self.world.user(street, role))

    def test_who_reads_what(self) -> None:
        e = self.east
        viewers = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200, Role.RESIDENT: 403}
        for path in ("/members", "/welfare", f"/members/{e.member.pk}/statement?year=2027"):
            with self.subTest(path=path):
                assert_matrix(TokenLogin(self.client), BASE + path, viewers, self.users)
        for path in (
            f"/members/{e.member.pk}",
            f"/welfare/{e.welfare.pk}",
            f"/welfare/{e.welfare.pk}/asks",
            f"/welfare/{e.welfare.pk}/claims",
            f"/claims/{e.claim.pk}",
        ):
            with self.subTest(path=path):
                assert_matrix(
                    TokenLogin(self.client), BASE + path, {**viewers, Role.HANDLER: 404}, self.users
                )
        west = self.api(street="west")
        for path in (
            f"/members/{e.member.pk}",
            f"/welfare/{e.welfare.pk}",
            f"/claims/{e.claim.pk}",
            "/claims/0",
        ):
            self.assertEqual(west.get("/programmes" + path).status_code, 404, path)
        self.assertEqual(west.get("/programmes/welfare/99999999999999999999").status_code, 404)
        listed = west.get("/programmes/welfare").json()
        self.assertEqual([w["title"] for w in listed["results"]], [self.west.welfare.title])

    def test_member_register_and_patch(self) -> None:
        api = self.api()
        street = self.world.east.street.code
        made = api.post(
            "/programmes/members",
            {"name": "上海电力公司", "kind": "company", "streets": [street], "contact_phone": "13900001111"},
        )
        self.assertEqual(made.status_code, 201, made.content)
        body = made.json()
        self.assertEqual(body["contact_phone"], "139****1111")
        self.assertEqual([s["code"] for s in body["streets"]], [street])
        bad = api.post(
            "/programmes/members", {"name": "x", "kind": "company", "streets": [self.world.west.street.code]}
        )
        self.assertEqual(bad.status_code, 400)
        self.assertIn("streets", bad.json()["error"]["fields"])
        path = f"/programmes/members/{body['id']}"
        patched = api.client.patch(
            "/api/v1" + path,
            {"name": "国网上海电力", "version": 1},
            content_type="application/json",
            headers=api.headers(),
        )
        self.assertEqual(patched.json()["name"], "国网上海电力")
        stale = api.client.patch(
            "/api/v1" + path,
            {"note": "x", "version": 1},
            content_type="application/json",
            headers=api.headers(),
        )
        self.assertEqual(stale.status_code, 409)
        off = api.client.patch(
            "/api/v1" + path, {"active": False}, content_type="application/json", headers=api.headers()
        )
        self.assertFalse(off.json()["active"])
        found = api.get("/programmes/members", q="电力", kind="company").json()
        self.assertEqual(found["count"], 1)
        leader = self.api(Role.LEADER)
        refused = leader.client.patch(
            "/api/v1" + path, {"note": "x"}, content_type="application/json", headers=leader.headers()
        )
        self.assertEqual(refused.status_code, 403)

    def test_create_publish_claim_exactly_and_over(self) -> None:
        api = self.api()
        made = api.post(
            "/programmes/welfare",
            {
                "street": self.world.east.street.code,
                "year": 2027,
                "title": "冬令送温暖",
                "need": "为困难家庭送冬衣",
                "asks": [{"kind": "materials", "item": "冬衣", "unit": "件", "quantity": 200}],
            },
        )
        self.assertEqual(made.status_code, 201, made.content)
        project = made.json()
        self.assertEqual((project["status"], project["actions"]), ("draft", ["publish", "cancel"]))
        pid = project["id"]
        added = api.post(
            f"/programmes/welfare/{pid}/asks",
            {"kind": "money", "item": "慰问金", "unit": "元", "quantity": "5000.5"},
        )
        self.assertEqual(added.status_code, 201, added.content)
        published = api.post(
            f"/programmes/welfare/{pid}/actions/publish", {"version": project["version"] + 1}
        )
        self.assertEqual(published.json()["status"], "open", published.content)
        asks = api.get(f"/programmes/welfare/{pid}/asks").json()
        coats, money = asks[0]["id"], asks[1]["id"]
        member = self.east.member.pk
        self.assertEqual(
            api.post(
                f"/programmes/welfare/{pid}/claims", {"ask": coats, "member": member, "quantity": 150}
            ).status_code,
            201,
        )
        over = api.post(f"/programmes/welfare/{pid}/claims", {"ask": coats, "member": member, "quantity": 60})
        self.assertEqual(over.status_code, 400)
        self.assertEqual(over.json()["error"]["fields"], {"quantity": "over_claimed"})
        self.assertEqual(over.json()["error"]["message"], "超出剩余需求：还可认领 50 件")
        other = api.post(
            f"/programmes/welfare/{pid}/claims", {"ask": self.east.ask.pk, "member": member, "quantity": 1}
        )
        self.assertEqual(other.json()["error"]["fields"], {"ask": "not_found"})
        api.post(f"/programmes/welfare/{pid}/claims", {"ask": coats, "member": member, "quantity": 50})
        last = api.post(
            f"/programmes/welfare/{pid}/claims", {"ask": money, "member": member, "quantity": "5000.50"}
        )
        self.assertEqual(last.status_code, 201)
        detail = api.get(f"/programmes/welfare/{pid}").json()
        self.assertEqual(detail["status"], "covered")
        self.assertEqual(float(detail["asks"][0]["remaining"]), 0)
        claims = api.get(f"/programmes/welfare/{pid}/claims").json()
        self.assertEqual(claims["count"], 3)

    def test_claim_steps_pdf_and_statement(self) -> None:
        api = self.api()
        cid = self.east.claim.pk
        self.assertEqual(api.get(f"/programmes/claims/{cid}/confirmation.pdf").status_code, 404)
        cadre = self.api(Role.CADRE)
        self.assertEqual(cadre.post(f"/programmes/claims/{cid}/actions/confirm", {}).status_code, 403)
        confirmed = api.post(f"/programmes/claims/{cid}/actions/confirm", {"version": 1})
        self.assertEqual(confirmed.json()["number"], "2027-GY-0001")
        stale = api.post(
            f"/programmes/claims/{cid}/actions/deliver", {"version": 1, "delivered_quantity": 10}
        )
        self.assertEqual(stale.status_code, 409)
        too_much = api.post(f"/programmes/claims/{cid}/actions/deliver", {"delivered_quantity": 11})
        self.assertEqual(too_much.json()["error"]["fields"], {"delivered_quantity": "over_claimed"})
        delivered = api.post(f"/programmes/claims/{cid}/actions/deliver", {"delivered_quantity": 10})
        self.assertEqual(delivered.json()["status"], "delivered")
        self.assertEqual(api.post(f"/programmes/claims/{cid}/actions/nonsense", {}).status_code, 400)
        pdf = api.get(f"/programmes/claims/{cid}/confirmation.pdf")
        self.assertEqual(pdf["Content-Type"], "application/pdf")
        sheet = api.get(f"/programmes/members/{self.east.member.pk}/statement", year=2027).json()
        self.assertEqual(len(sheet["claims"]), 1)
        self.assertEqual(sheet["totals"][0]["kind"], "volunteers")
        self.assertEqual(float(sheet["totals"][0]["delivered"]), 10)
        self.assertEqual(
            api.get(f"/programmes/members/{self.east.member.pk}/statement", year=1).status_code, 400
        )
        self.assertEqual(Claim.objects.get(pk=cid).status, "delivered")
