"""The visit endpoints under /api/v1/residents/: list, due list, one visit, its actions."""

import json
from datetime import timedelta
from typing import Any

from civicgrid.accounts import tokens
from civicgrid.core.choices import Role
from civicgrid.core.models import PersonalDataAccess
from civicgrid.residents.actions import visits as actions
from civicgrid.residents.choices import VisitStatus
from civicgrid.residents.models import Visit

from .test_visits import TODAY, VisitTestCase


class VisitApiTests(VisitTestCase):
    def call(
        self, role: str, method: str, path: str, body: Any = None, street: str = "east", **headers: Any
    ) -> Any:
        key = tokens.issue(self.user(role, street), scopes=["read", "write"], rate_limit=0).key
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {key}", **headers}}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(self.client, method)(f"/api/v1/residents{path}", **kwargs)

    def test_due_list(self) -> None:
        response = self.call(Role.CADRE, "get", "/visits/due?care=alone&overdue=true")
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual((body["count"], body["overdue"]), (1, 1))
        row = body["results"][0]
        self.assertEqual(row["household"], self.h1.pk)
        self.assertEqual([(r["code"], r["person"]) for r in row["reasons"]], [("alone", "王秀英")])
        # The cadre reads 社区矫正 and 大病 in the whole list: each look logged, via the API.
        everything = self.call(Role.CADRE, "get", "/visits/due").json()
        self.assertEqual(everything["count"], 3)
        self.assertEqual(PersonalDataAccess.objects.filter(via="api").count(), 2)
        worker = self.call(Role.GRID_WORKER, "get", "/visits/due").json()
        self.assertEqual({r["household"] for r in worker["results"]}, {self.h1.pk, self.h2.pk})
        self.assertEqual(self.call(Role.CADRE, "get", "/visits/due", street="west").json()["count"], 0)
        bad = self.call(Role.CADRE, "get", "/visits/due?care=nope")
        self.assertEqual(bad.status_code, 400)
        self.assertIn("care", bad.json()["error"]["fields"])
        self.assertEqual(self.call(Role.DISPATCHER, "get", "/visits/due").status_code, 403)

    def test_list_and_detail_are_scoped(self) -> None:
        visit = actions.plan_visit(self.user(Role.CADRE), self.h1, planned_for=TODAY)
        listing = self.call(Role.GRID_WORKER, "get", f"/visits?household={self.h1.pk}").json()
        self.assertEqual([v["id"] for v in listing["results"]], [visit.pk])
        self.assertEqual(listing["results"][0]["reasons"], ["age80", "alone"])
        self.assertEqual(self.call(Role.CADRE, "get", "/visits", street="west").json()["count"], 0)
        self.assertEqual(self.call(Role.CADRE, "get", f"/visits/{visit.pk}", street="west").status_code, 404)
        detail = self.call(Role.LEADER, "get", f"/visits/{visit.pk}")
        self.assertEqual(detail.status_code, 200)
        self.assertTrue(detail.headers["ETag"])

    def test_actions_with_versions_and_roles(self) -> None:
        visit = actions.plan_visit(self.user(Role.CADRE), self.h2, planned_for=TODAY + timedelta(days=1))
        path = f"/visits/{visit.pk}/actions/record"
        body = {"found": "家中一切正常", "method": "phone", "version": 1}
        self.assertEqual(self.call(Role.LEADER, "post", path, body).status_code, 403)
        self.assertEqual(self.call(Role.CADRE, "post", path, {**body, "version": 5}).status_code, 409)
        missing = self.call(Role.CADRE, "post", path, {"method": "door"})
        self.assertEqual(missing.status_code, 400)
        self.assertIn("found", missing.json()["error"]["fields"])
        stale = self.call(Role.CADRE, "post", path, {"found": "x"}, **{"If-Match": '"nope"'})
        self.assertEqual(stale.status_code, 412)
        self.assertEqual(self.call(Role.CADRE, "post", path, body, street="west").status_code, 404)
        done = self.call(Role.CADRE, "post", path, body)
        self.assertEqual(done.status_code, 200, done.content)
        self.assertEqual((done.json()["status"], done.json()["version"]), (VisitStatus.DONE, 2))
        again = self.call(Role.CADRE, "post", path, body | {"version": 2})
        self.assertEqual(again.status_code, 409)
        case = self.call(
            Role.CADRE,
            "post",
            f"/visits/{visit.pk}/actions/open_case",
            {"category": "E2105", "description": "楼道灯坏"},
        )
        self.assertEqual(case.status_code, 200, case.content)
        self.assertEqual(case.json()["case"], Visit.objects.get(pk=visit.pk).case.number)  # type: ignore[union-attr]
        self.assertEqual(
            self.call(Role.CADRE, "post", f"/visits/{visit.pk}/actions/nope", {}).status_code, 400
        )

    def test_plan_a_visit(self) -> None:
        path = f"/households/{self.h1.pk}/visits"
        planned = self.call(Role.GRID_WORKER, "post", path, {"planned_for": str(TODAY + timedelta(days=2))})
        self.assertEqual(planned.status_code, 201, planned.content)
        self.assertEqual(
            (planned.json()["status"], planned.json()["reasons"]), ("planned", ["age80", "alone"])
        )
        past = self.call(Role.GRID_WORKER, "post", path, {"planned_for": str(TODAY - timedelta(days=1))})
        self.assertEqual(past.status_code, 400)
        self.assertIn("planned_for", past.json()["error"]["fields"])
        self.assertEqual(self.call(Role.LEADER, "post", path, {"planned_for": str(TODAY)}).status_code, 403)
        other = f"/households/{self.reg.other_household.pk}/visits"  # type: ignore[union-attr]
        self.assertEqual(
            self.call(Role.GRID_WORKER, "post", other, {"planned_for": str(TODAY)}).status_code, 404
        )
