"""The plan endpoints under /api/v1/insights/: the list with its filters, making a plan, one
plan with its ETag, every action with versions and If-Match, the weekly numbers, and the
errors (bad parameters name their field)."""

import json
from typing import Any

import time_machine
from django.test import TestCase

from civicgrid.accounts import tokens
from civicgrid.core.choices import Role
from civicgrid.testing.factories import build_world

from .plan_fixtures import NOW, hotspot_params, make_cases, plan_for


@time_machine.travel(NOW, tick=False)
class PlanApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.cases = make_cases(cls.world)
        cls.plan = plan_for(cls.world)

    def call(
        self, role: str, method: str, path: str, body: Any = None, street: str = "east", **headers: Any
    ) -> Any:
        user = self.world.user(street, role)
        key = tokens.issue(user, scopes=["insights:write"], rate_limit=0).key
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {key}", **headers}}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(self.client, method)(f"/api/v1/insights{path}", **kwargs)

    def test_list_filters_and_scope(self) -> None:
        listing = self.call(Role.LEADER, "get", "/plans")
        self.assertEqual(listing.status_code, 200, listing.content)
        body = listing.json()
        self.assertEqual(body["count"], 1)
        plan = body["results"][0]
        self.assertEqual((plan["id"], plan["cases"], plan["overdue"]), (self.plan.pk, 5, False))
        self.assertEqual(plan["hotspot_params"], hotspot_params(self.world))
        # The owning unit reads the plan, not the hotspot's filter (other units' cases it names).
        mine = self.call(Role.HANDLER, "get", "/plans").json()
        self.assertEqual((mine["count"], mine["results"][0]["hotspot_params"]), (1, None))
        weekly = self.call(Role.HANDLER, "get", f"/plans/{self.plan.pk}/weekly").json()
        self.assertEqual({w["link"] for w in weekly["weeks"]}, {""})
        self.assertEqual(self.call(Role.DISPATCHER, "get", "/plans", street="west").json()["count"], 0)
        self.assertEqual(self.call(Role.ADMIN, "get", "/plans?status=completed").json()["count"], 0)
        self.assertEqual(self.call(Role.ADMIN, "get", "/plans?overdue=true").json()["count"], 0)
        street = self.world.east.street.code
        self.assertEqual(self.call(Role.ADMIN, "get", f"/plans?street={street}").json()["count"], 1)
        bad = self.call(Role.ADMIN, "get", "/plans?street=nowhere")
        self.assertEqual(bad.status_code, 400)
        self.assertIn("street", bad.json()["error"]["fields"])
        bad = self.call(Role.ADMIN, "get", "/plans?owner_unit=999999")
        self.assertEqual(bad.status_code, 400)
        self.assertIn("owner_unit", bad.json()["error"]["fields"])
        self.assertEqual(self.call(Role.GRID_WORKER, "get", "/plans").status_code, 403)

    def test_make(self) -> None:
        body = {
            "street": self.world.east.street.code,
            "title": "API 方案",
            "hotspot_kind": "recurrence",
            "hotspot_label": "一号网格 · 噪声",
            "hotspot_params": hotspot_params(self.world),
            "measures": "夜查",
            "deadline": "2026-07-01",
            "owner_unit": self.world.east.unit.pk,
            "case_numbers": [self.cases["other"][0].number],
        }
        made = self.call(Role.DISPATCHER, "post", "/plans", body)
        self.assertEqual(made.status_code, 201, made.content)
        self.assertEqual((made.json()["cases"], made.json()["version"]), (6, 1))
        self.assertTrue(made.headers["ETag"])
        for field, value in (
            ("hotspot_params", {"bogus": "1"}),
            ("hotspot_params", {}),
            ("street", "nowhere"),
            ("case_numbers", [self.cases["other"][1].number]),
            ("owner", 10**6),
        ):
            with self.subTest(field):
                bad = self.call(Role.DISPATCHER, "post", "/plans", {**body, field: value})
                self.assertEqual(bad.status_code, 400, bad.content)
                self.assertIn(field.replace("hotspot_params", "params"), bad.json()["error"]["fields"])
        typed = self.call(Role.DISPATCHER, "post", "/plans", {**body, "deadline": "soon"})
        self.assertIn(typed.status_code, (400, 422))
        self.assertIn("deadline", typed.content.decode())
        self.assertEqual(self.call(Role.HANDLER, "post", "/plans", body).status_code, 403)
        self.assertEqual(self.call(Role.DISPATCHER, "post", "/plans", body, street="west").status_code, 400)

    def test_detail_actions_versions_and_roles(self) -> None:
        path = f"/plans/{self.plan.pk}"
        detail = self.call(Role.HANDLER, "get", path)
        self.assertEqual(detail.status_code, 200)
        etag = detail.headers["ETag"]
        self.assertEqual(self.call(Role.ADMIN, "get", path, street="west").status_code, 404)
        self.assertEqual(self.call(Role.ADMIN, "get", "/plans/0").status_code, 404)
        report = f"{path}/actions/report"
        self.assertEqual(self.call(Role.HANDLER, "post", report, {}).status_code, 400)
        self.assertEqual(
            self.call(Role.HANDLER, "post", report, {"note": "x", "version": 9}).status_code, 409
        )
        stale = self.call(Role.HANDLER, "post", report, {"note": "x"}, **{"If-Match": '"nope"'})
        self.assertEqual(stale.status_code, 412)
        done = self.call(Role.HANDLER, "post", report, {"note": "已夜查"}, **{"If-Match": etag})
        self.assertEqual((done.status_code, done.json()["version"]), (200, 2), done.content)
        self.assertNotEqual(done.headers["ETag"], etag)
        complete = f"{path}/actions/complete"
        self.assertEqual(self.call(Role.HANDLER, "post", complete, {"result": "x"}).status_code, 403)
        self.assertEqual(
            self.call(Role.DISPATCHER, "post", f"{path}/actions/reopen", {"note": "x"}).status_code, 409
        )
        unknown = self.call(Role.DISPATCHER, "post", f"{path}/actions/nope", {})
        self.assertEqual(unknown.status_code, 400)
        self.assertIn("action", unknown.content.decode())
        ok = self.call(Role.DISPATCHER, "post", complete, {"result": "好转", "version": 2})
        self.assertEqual(
            (ok.status_code, ok.json()["status"], ok.json()["completed_on"]), (200, "completed", "2026-06-10")
        )
        link = self.call(Role.DISPATCHER, "post", f"{path}/actions/link", {"numbers": "X-1"})
        self.assertEqual(link.status_code, 400)
        self.assertIn("numbers", link.json()["error"]["fields"])

    def test_weekly(self) -> None:
        weekly = self.call(Role.LEADER, "get", f"/plans/{self.plan.pk}/weekly")
        self.assertEqual(weekly.status_code, 200, weekly.content)
        body = weekly.json()
        self.assertEqual(len(body["weeks"]), 13)
        self.assertEqual(sum(w["count"] for w in body["weeks"]), 5)
        self.assertEqual(body["average_after"], 1.0)
        self.assertTrue(body["weeks"][0]["link"].startswith("/cases/?queue=all"))
        self.assertEqual(
            self.call(Role.LEADER, "get", f"/plans/{self.plan.pk}/weekly", street="west").status_code, 404
        )
