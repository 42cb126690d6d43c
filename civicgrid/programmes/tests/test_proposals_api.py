"""/api/v1/programmes/ sessions, representatives and proposals: scoped reads, a session and a
representative made, a proposal filed, the machine's steps through the action endpoint (with
the version check, ETag and refusals naming fields), the answer sheet and the year report job."""

from datetime import datetime

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.core.models import Job
from civicgrid.programmes.models import Proposal
from civicgrid.testing.api import ApiClient, TokenLogin
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.programmes import build_programmes

NOW = datetime(2027, 4, 10, 9, 0)
BASE = "/api/v1/programmes"


class ProposalApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_programmes(cls.w.east, mark="东")
        cls.west = build_programmes(cls.w.west, mark="西")
        cls.users = cls.w.east.users

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def api(self, role: str = Role.ADMIN, street: str = "east") -> ApiClient:
        return ApiClient(self.client, self.w.user(street, role))

    def test_who_reads_what(self) -> None:
        staff = {
            Role.ADMIN: 200,
            Role.LEADER: 200,
            Role.CADRE: 200,
            Role.GRID_WORKER: 403,
            Role.RESIDENT: 403,
        }
        for path in ("/sessions", f"/sessions/{self.east.session.pk}", "/representatives"):
            with self.subTest(path=path):
                expected = {**staff, Role.HANDLER: 404 if "sessions/" in path else 200}
                assert_matrix(TokenLogin(self.client), BASE + path, expected, self.users)
        proposal = f"{BASE}/proposals/{self.east.proposal.pk}"
        assert_matrix(TokenLogin(self.client), proposal, {**staff, Role.HANDLER: 200}, self.users)
        west = self.api(street="west")
        self.assertEqual(west.get(f"/programmes/proposals/{self.east.proposal.pk}").status_code, 404)
        self.assertEqual(west.get(f"/programmes/sessions/{self.east.session.pk}/proposals").status_code, 404)
        self.assertEqual(west.get("/programmes/proposals/99999999999999999999").status_code, 404)
        listed = (
            self.api().get(f"/programmes/sessions/{self.east.session.pk}/proposals", status="assigned").json()
        )
        self.assertEqual([p["title"] for p in listed["results"]], ["增设非机动车充电桩东"])
        self.assertTrue(listed["results"][0]["overdue"] is False)

    def test_session_representative_and_filing(self) -> None:
        api, street = self.api(), self.w.east.street.code
        made = api.post(
            "/programmes/sessions",
            {"street": street, "kind": "community", "title": "社区代表大会", "held_on": "2027-04-20"},
        )
        self.assertEqual(made.status_code, 201, made.content)
        self.assertEqual(made.json()["handling"]["total"], 0)
        session_id = made.json()["id"]
        rep = api.post(
            "/programmes/representatives",
            {"street": street, "name": "周代表", "term_from": "2027-01-01", "area": "NOPE"},
        )
        self.assertEqual((rep.status_code, rep.json()["error"]["fields"]), (400, {"area": "not_found"}))
        rep = api.post(
            "/programmes/representatives", {"street": street, "name": "周代表", "term_from": "2027-01-01"}
        )
        self.assertEqual(rep.status_code, 201, rep.content)
        body = {
            "proposer": rep.json()["id"],
            "cosigners": [r.pk for r in self.east.representatives[:2]],
            "title": "垃圾分类箱房改造",
            "body": "箱房破旧，建议改造",
            "category": "environment",
        }
        filed = api.post(f"/programmes/sessions/{session_id}/proposals", body)
        self.assertEqual(filed.status_code, 201, filed.content)
        self.assertEqual((filed.json()["number"], len(filed.json()["cosigners"])), (1, 2))
        bad = api.post(
            f"/programmes/sessions/{session_id}/proposals", {**body, "cosigners": [rep.json()["id"]]}
        )
        self.assertEqual((bad.status_code, bad.json()["error"]["fields"]), (400, {"cosigners": "proposer"}))
        refused = self.api(Role.LEADER).post(f"/programmes/sessions/{session_id}/proposals", body)
        self.assertEqual(refused.status_code, 403)
        self.assertEqual(self.api(Role.LEADER).post("/programmes/sessions", {}).status_code, 400)

    def test_actions_through_the_endpoint(self) -> None:
        api = self.api()
        proposal = Proposal.objects.create(
            session=self.east.session,
            street=self.w.east.street,
            number=2,
            title="停车难",
            body="b",
            category="traffic",
            proposer=self.east.representatives[1],
        )
        url = f"/programmes/proposals/{proposal.pk}"
        self.assertEqual(api.post(f"{url}/actions/accept", {"version": 1}).status_code, 200)
        stale = api.post(f"{url}/actions/assign", {"version": 1, "office": "管理办"})
        self.assertEqual(stale.status_code, 409)
        missing = api.post(f"{url}/actions/assign", {"version": 2})
        self.assertEqual(
            (missing.status_code, missing.json()["error"]["fields"]), (400, {"unit": "required"})
        )
        etag = api.get(url)["ETag"]
        done = api.post(f"{url}/actions/assign", {"unit": self.w.east.unit.pk}, headers={"If-Match": etag})
        self.assertEqual(done.status_code, 200, done.content)
        self.assertEqual((done.json()["status"], done.json()["deadline"]), ("assigned", "2027-05-10"))
        self.assertEqual(api.post(f"{url}/actions/assign", {}, headers={"If-Match": etag}).status_code, 412)
        handler = self.api(Role.HANDLER)
        self.assertEqual(handler.post(f"{url}/actions/rate", {"rating": "satisfied"}).status_code, 403)
        answered = handler.post(f"{url}/actions/answer", {"answer": "已施划停车位"})
        self.assertEqual(answered.json()["answered_on"], "2027-04-10")
        self.assertEqual(api.post(f"{url}/actions/rate", {"rating": "nope"}).status_code, 400)
        rated = api.post(f"{url}/actions/rate", {"rating": "unsatisfied"})
        self.assertIn("reassign", rated.json()["actions"])
        merge = api.post(
            f"/programmes/proposals/{proposal.pk}/actions/merge", {"into": self.east.proposal.pk}
        )
        self.assertEqual(merge.status_code, 409)  # not from 已评价
        self.assertEqual(api.post(f"{url}/actions/fly", {}).status_code, 400)
        pdf = api.get(f"{url}/answer.pdf")
        self.assertEqual((pdf.status_code, pdf["Content-Type"]), (200, "application/pdf"))

    def test_year_report_job(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            started = self.api(Role.LEADER).post(
                "/programmes/reports/year", {"street": self.w.east.street.code, "year": 2027}
            )
        self.assertEqual(started.status_code, 202, started.content)
        job = Job.objects.get(pk=started.json()["job_id"])
        self.assertEqual((job.kind, job.status), ("programmes.year_report", "succeeded"))
        self.assertEqual(
            self.api(Role.CADRE).post("/programmes/reports/year", {"street": "x", "year": 2027}).status_code,
            403,
        )
        self.assertEqual(
            self.api(Role.LEADER)
            .post("/programmes/reports/year", {"street": self.w.west.street.code, "year": 2027})
            .status_code,
            400,
        )
