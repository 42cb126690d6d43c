"""The evaluations API: who reads what, a new evaluation with its subjects, the codes (a
count, never the codes), the steps with versions, paper ballots (and their refusals), the
result once counted and its PDF, and odd input answered with a 4xx."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from pypdf import PdfReader

from civicgrid.core.choices import Role
from civicgrid.programmes import ballot_codes
from civicgrid.programmes.actions.evaluations import cast_ballot
from civicgrid.programmes.models import Evaluation
from civicgrid.testing.api import ApiClient, TokenLogin
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.programmes import build_programmes

NOW = datetime(2027, 3, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
BASE = "/programmes/evaluations"


class ApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(NOW, tick=False):
            cls.east = build_programmes(cls.world.east)
        cls.users = cls.world.east.users

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def api(self, role: str = Role.ADMIN, street: str = "east") -> ApiClient:
        return ApiClient(self.client, self.world.user(street, role))

    def test_who_reads_what(self) -> None:
        viewers = {
            Role.ADMIN: 200,
            Role.LEADER: 200,
            Role.CADRE: 200,
            Role.GRID_WORKER: 403,
            Role.RESIDENT: 403,
        }
        pk = self.east.evaluation.pk
        for path in (BASE, f"{BASE}/{pk}", f"{BASE}/{pk}/subjects"):
            with self.subTest(path=path):
                assert_matrix(TokenLogin(self.client), "/api/v1" + path, viewers, self.users)
        west = self.api(street="west")
        self.assertEqual(west.get(BASE).json()["count"], 0)
        for path in (f"{BASE}/{pk}", f"{BASE}/{pk}/subjects", f"{BASE}/0", f"{BASE}/99999999999999"):
            self.assertEqual(west.get(path).status_code, 404, path)

    def test_the_whole_evaluation_through_the_api(self) -> None:
        api = self.api()
        made = api.post(
            BASE,
            {
                "session": self.east.session.pk,
                "title": "接口测评",
                "subjects": [{"name": "社区管理办"}, {"name": "单位", "unit": self.world.east.unit.pk}],
            },
        )
        self.assertEqual(made.status_code, 201, made.content)
        body = made.json()
        pk = body["id"]
        self.assertEqual([s["name"] for s in body["subjects"]], ["社区管理办", "单位"])
        self.assertIsNone(body["result"])
        added = api.post(f"{BASE}/{pk}/subjects", {"name": "社区服务办"})
        self.assertEqual(added.status_code, 201)
        gone = self.client.delete(f"/api/v1{BASE}/subjects/{added.json()['id']}", headers=api.headers())
        self.assertEqual(gone.status_code, 204)
        self.assertEqual(len(api.get(f"{BASE}/{pk}/subjects").json()), 2)
        # Opening without voters: refused with the guard's reason.
        self.assertEqual(api.post(f"{BASE}/{pk}/actions/open", {"version": 1}).status_code, 409)
        codes = api.post(f"{BASE}/{pk}/codes", {})
        self.assertEqual(codes.json(), {"issued": 3, "voters": 3})
        self.assertNotIn("code", codes.content.decode().replace('"', " ").split())
        opened = api.post(f"{BASE}/{pk}/actions/open", {"version": 1})
        self.assertEqual(opened.status_code, 200, opened.content)
        self.assertEqual(api.post(f"{BASE}/{pk}/actions/close", {"version": 1}).status_code, 409)
        evaluation = Evaluation.objects.get(pk=pk)
        first, second = evaluation.subjects.order_by("order")
        voter = evaluation.voters.order_by("pk").first()
        cast_ballot(ballot_codes.derive(pk, voter.representative_id), {first.pk: "good", second.pk: "poor"})
        bad = api.post(
            f"{BASE}/{pk}/paper-ballots",
            {"ballots": 2, "counts": {str(first.pk): {"good": 2}, str(second.pk): {"good": 1}}},
        )
        self.assertEqual(bad.status_code, 400)
        self.assertEqual(bad.json()["error"]["fields"], {f"subject_{second.pk}": "sum"})
        too_many = api.post(
            f"{BASE}/{pk}/paper-ballots",
            {"ballots": 3, "counts": {str(first.pk): {"good": 3}, str(second.pk): {"fair": 3}}},
        )
        self.assertEqual(too_many.status_code, 400)
        paper = api.post(
            f"{BASE}/{pk}/paper-ballots",
            {"ballots": 2, "counts": {str(first.pk): {"good": 2}, str(second.pk): {"fair": 1, "unknown": 1}}},
        )
        self.assertEqual(paper.status_code, 200, paper.content)
        self.assertEqual((paper.json()["ballots"], paper.json()["voted"]), (3, 1))
        self.assertEqual(api.get(f"{BASE}/{pk}/result.pdf").status_code, 409)
        closed = api.post(f"{BASE}/{pk}/actions/close", {"version": paper.json()["version"]})
        self.assertEqual(closed.status_code, 200, closed.content)
        result = closed.json()["result"]
        self.assertEqual((result["ballots"], result["voters"], result["turnout"]), (3, 3, 1.0))
        self.assertEqual(
            [(s["name"], s["rate"], s["passed"]) for s in result["subjects"]],
            [("社区管理办", 1.0, True), ("单位", 0.5, False)],
        )
        pdf = api.get(f"{BASE}/{pk}/result.pdf")
        self.assertEqual(pdf["Content-Type"], "application/pdf")
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        self.assertIn("民主测评结果", text)
        self.assertIn("接口测评", text)

    def test_refusals(self) -> None:
        pk = self.east.evaluation.pk
        leader = self.api(Role.LEADER)
        self.assertEqual(leader.post(BASE, {"session": self.east.session.pk, "title": "x"}).status_code, 403)
        self.assertEqual(leader.post(f"{BASE}/{pk}/codes", {}).status_code, 403)
        api = self.api()
        self.assertEqual(api.post(BASE, {"session": 999999, "title": "x"}).status_code, 400)
        self.assertEqual(api.post(BASE, {"session": self.east.session.pk, "title": ""}).status_code, 400)
        nonsense = api.post(f"{BASE}/{pk}/actions/nonsense", {}).status_code
        self.assertTrue(400 <= nonsense < 500, nonsense)
        self.assertEqual(
            api.post(
                f"{BASE}/{pk}/paper-ballots", {"ballots": 1, "counts": {"abc": {"good": 1}}}
            ).status_code,
            400,
        )
        self.assertEqual(api.post(f"{BASE}/{pk}/subjects", {"name": "x"}).status_code, 409)  # open
        self.assertEqual(api.post(f"{BASE}/{pk}/codes", {"representatives": [999999]}).status_code, 400)
