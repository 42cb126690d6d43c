"""/api/v1/programmes/projects…: who reads what, the list's filters and pages, a project made
(and the refusals as 400), its detail with an ETag (304), a change with If-Match (412) and a
stale version (409), the machine's steps (a report moves the progress; completing too early is
409), targets, milestones and their steps, reports and linked cases."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.programmes.models import Project
from civicgrid.testing.api import ApiClient, TokenLogin
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.programmes import build_programmes

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 7, 15, 9, 0, tzinfo=SHANGHAI)
BASE = "/programmes"


class ApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(NOW, tick=False):
            cls.made = build_programmes(cls.world.east)
        cls.users = cls.world.east.users

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def api(self, role: str = Role.ADMIN, street: str = "east") -> ApiClient:
        return ApiClient(self.client, self.world.user(street, role))

    def patch(self, api: ApiClient, path: str, body: dict, headers: dict | None = None) -> object:
        import json

        return self.client.patch(
            "/api/v1" + path, json.dumps(body), content_type="application/json", headers=api.headers(headers)
        )

    def test_who_reads_what(self) -> None:
        child, parent = self.made.project, self.made.parent
        viewers = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200, Role.HANDLER: 200, Role.RESIDENT: 403}
        for path in (
            "/projects",
            f"/projects/{child.pk}",
            f"/projects/{child.pk}/reports",
            f"/projects/{child.pk}/cases",
        ):
            with self.subTest(path=path):
                assert_matrix(TokenLogin(self.client), "/api/v1" + BASE + path, viewers, self.users)
        assert_matrix(
            TokenLogin(self.client),
            f"/api/v1{BASE}/projects/{parent.pk}",
            {Role.ADMIN: 200, Role.HANDLER: 404},
            self.users,
        )
        west = self.api(street="west")
        self.assertEqual(west.get(BASE + "/projects").json()["count"], 0)
        self.assertEqual(west.get(f"{BASE}/projects/{child.pk}").status_code, 404)
        self.assertEqual(self.api().get(f"{BASE}/projects/0").status_code, 404)
        self.assertEqual(self.api().get(f"{BASE}/projects/99999999999999999999").status_code, 404)

    def test_list_filters(self) -> None:
        api = self.api()
        self.assertEqual(api.get(BASE + "/projects", year=2027).json()["count"], 2)
        self.assertEqual(api.get(BASE + "/projects", year=2026).json()["count"], 0)
        self.assertEqual(
            api.get(BASE + "/projects", category="safety").json()["results"][0]["id"], self.made.project.pk
        )
        # Another street's code is refused like an unknown one (the FilterSet knows the reader's).
        other = api.get(BASE + "/projects", street=self.world.west.street.code)
        self.assertEqual((other.status_code, list(other.json()["error"]["fields"])), (400, ["street"]))
        self.assertEqual(api.get(BASE + "/projects", status="bogus").status_code, 400)

    def test_create_and_refusals(self) -> None:
        api = self.api()
        body = {
            "street": self.world.east.street.code,
            "year": 2027,
            "title": "非机动车充电设施建设",
            "category": "safety",
            "starts_on": "2027-02-01",
            "ends_on": "2027-12-31",
            "owner_unit": self.world.east.unit.pk,
        }
        made = api.post(BASE + "/projects", body)
        self.assertEqual(made.status_code, 201, made.content)
        self.assertEqual(made.json()["status"], "draft")
        refused = api.post(BASE + "/projects", {**body, "owner_office": "管理办"})
        self.assertEqual(refused.status_code, 400)
        self.assertIn("owner_unit", refused.json()["error"]["fields"])
        self.assertEqual(api.post(BASE + "/projects", {**body, "street": "NOPE"}).status_code, 400)
        self.assertEqual(api.post(BASE + "/projects", {**body, "case_categories": ["NOPE"]}).status_code, 400)
        self.assertEqual(self.api(Role.LEADER).post(BASE + "/projects", body).status_code, 403)

    def test_etag_if_match_and_version(self) -> None:
        api, pk = self.api(), self.made.project.pk
        first = api.get(f"{BASE}/projects/{pk}")
        tag = first["ETag"]
        self.assertEqual(api.get(f"{BASE}/projects/{pk}", headers={"If-None-Match": tag}).status_code, 304)
        changed = self.patch(api, f"{BASE}/projects/{pk}", {"title": "电线改造（450 户）"}, {"If-Match": tag})
        self.assertEqual(changed.status_code, 200, changed.content)
        self.assertEqual(changed.json()["title"], "电线改造（450 户）")
        self.assertEqual(
            self.patch(api, f"{BASE}/projects/{pk}", {"title": "x"}, {"If-Match": tag}).status_code, 412
        )
        stale = self.patch(api, f"{BASE}/projects/{pk}", {"title": "x", "version": 1})
        self.assertEqual(stale.status_code, 409)
        self.assertEqual(self.patch(api, f"{BASE}/projects/{pk}", {"secret": 1}).status_code, 400)
        self.assertEqual(Project.objects.get(pk=pk).title, "电线改造（450 户）")

    def test_actions_targets_milestones_and_cases(self) -> None:
        api, handler, pk = self.api(), self.api(Role.HANDLER), self.made.project.pk
        done = handler.post(
            f"{BASE}/projects/{pk}/actions/report",
            {"target": self.made.target.pk, "value": 360, "note": "已完成 360 户"},
        )
        self.assertEqual(done.status_code, 200, done.content)
        self.assertEqual(done.json()["progress"], "80.00")
        self.assertEqual(api.get(f"{BASE}/projects/{self.made.parent.pk}").json()["progress"], "80.00")
        early = api.post(f"{BASE}/projects/{pk}/actions/complete", {})
        self.assertEqual(early.status_code, 409)
        self.assertEqual(api.post(f"{BASE}/projects/{pk}/actions/nope", {}).status_code, 400)
        self.assertEqual(
            api.post(f"{BASE}/projects/{pk}/actions/report", {"note": "x", "version": 1}).status_code, 409
        )
        self.assertEqual(handler.get(f"{BASE}/projects/{pk}/reports").json()[0]["note"], "已完成 360 户")
        added = api.post(f"{BASE}/projects/{pk}/targets", {"name": "更换电表", "unit": "只", "goal": 450})
        self.assertEqual(added.status_code, 201, added.content)
        self.assertEqual(len(api.get(f"{BASE}/projects/{pk}/targets").json()), 2)
        self.assertEqual(
            api.post(
                f"{BASE}/projects/{self.made.parent.pk}/targets", {"name": "x", "unit": "只", "goal": 1}
            ).status_code,
            409,
        )
        milestone = api.post(
            f"{BASE}/projects/{pk}/milestones", {"title": "完成 450 户", "due_on": "2027-10-31"}
        )
        self.assertEqual(milestone.status_code, 201)
        self.assertEqual(len(api.get(f"{BASE}/projects/{pk}/milestones").json()), 2)
        supervised = self.api(Role.LEADER).post(
            f"{BASE}/milestones/{self.made.milestone.pk}/actions/supervise", {"note": "请加快"}
        )
        self.assertEqual((supervised.status_code, supervised.json()["supervisions"]), (200, 1))
        self.assertEqual(
            self.api(Role.CADRE)
            .post(f"{BASE}/milestones/{self.made.milestone.pk}/actions/supervise", {"note": "x"})
            .status_code,
            403,
        )
        self.assertEqual(api.post(f"{BASE}/projects/{pk}/cases", {"number": "NOSUCH"}).status_code, 400)
        self.assertEqual(
            api.post(f"{BASE}/projects/{pk}/cases/unlink", {"number": "NOSUCH"}).status_code, 400
        )
