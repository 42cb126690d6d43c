"""知情考试 through /api/v1/residents/exams: rounds, the draw, the draw check, answer, grade,
the re-check round, scope and masking of sensitive kinds."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.residents.actions import exams as actions
from civicgrid.testing.api import ApiClient, TokenLogin
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.residents import build_registry

MOMENT = datetime(2026, 11, 20, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
BASE = "/api/v1/residents"


class ExamApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        with time_machine.travel(MOMENT, tick=False):
            cls.world = build_world()
            cls.reg = build_registry(cls.world.east)
            cls.admin = cls.world.east.users[Role.ADMIN]
            cls.cadre = cls.world.east.users[Role.CADRE]

    def setUp(self) -> None:
        self.clock = time_machine.travel(MOMENT, tick=False)
        self.clock.start()
        self.addCleanup(self.clock.stop)
        self.examiner = ApiClient(self.client, self.admin)
        self.examinee = ApiClient(self.client, self.cadre)

    def round_and_draw(self) -> tuple[dict, dict]:  # type: ignore[type-arg]
        response = self.examiner.post(
            "/residents/exams/rounds",
            {"street": self.world.east.street.code, "name": "接口考试", "sample_size": 2},
        )
        self.assertEqual(response.status_code, 201, response.content)
        round_ = response.json()
        response = self.examiner.post(
            f"/residents/exams/rounds/{round_['id']}/draw",
            {"cadre": self.cadre.pk, "area": self.world.east.grids[0].code},
        )
        self.assertEqual(response.status_code, 201, response.content)
        return round_, response.json()

    def test_the_whole_examination(self) -> None:
        round_, exam = self.round_and_draw()
        self.assertEqual((exam["population"], len(exam["items"]), exam["status"]), (3, 2, "drawn"))
        self.assertIsInstance(exam["seed"], str)
        check = self.examiner.get(f"/residents/exams/{exam['id']}/draw-check").json()
        self.assertTrue(check["same"])
        self.assertEqual(check["drawn"], [i["household"] for i in exam["items"]])
        # The cadre answers (the examiner may not, and grading first is refused).
        answers = [{"position": 1, "size": 1, "people": [{"name": "王秀英"}], "care": ["correction"]}]
        response = self.examiner.post(f"/residents/exams/{exam['id']}/answer", {"answers": answers})
        self.assertEqual(response.status_code, 403)
        response = self.examiner.post(f"/residents/exams/{exam['id']}/grade", {"grade": 1})
        self.assertEqual(response.status_code, 409)
        response = self.examinee.post(
            f"/residents/exams/{exam['id']}/answer", {"answers": answers, "version": 1}
        )
        self.assertEqual(response.status_code, 200, response.content)
        answered = response.json()
        self.assertEqual(answered["status"], "answered")
        self.assertGreater(answered["total"], 0)
        self.assertIsNotNone(answered["suggested_grade"])
        response = self.examinee.post(f"/residents/exams/{exam['id']}/answer", {"answers": answers})
        self.assertEqual(response.status_code, 409)
        # The examiner reads sensitive kinds unnamed, the cadre by name.
        seen = self.examiner.get(f"/residents/exams/{exam['id']}").json()
        codes = {c.get("kind") for i in seen["items"] for c in i["comparison"] if c["item"] == "care"}
        self.assertIn("sensitive", codes)
        self.assertNotIn("correction", str(seen))
        self.assertIn("correction", self.examinee.get(f"/residents/exams/{exam['id']}").text)
        response = self.examiner.post(f"/residents/exams/{exam['id']}/grade", {"grade": 0})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"]["fields"], {"grade": "out_of_range"})
        response = self.examiner.post(f"/residents/exams/{exam['id']}/grade", {"grade": 1, "note": "熟悉"})
        self.assertEqual(response.json()["grade"], 1)
        # The re-check round takes her (graded 1) with a larger sample.
        response = self.examiner.post(f"/residents/exams/rounds/{round_['id']}/recheck")
        self.assertEqual(response.status_code, 201, response.content)
        recheck = response.json()
        self.assertEqual(
            (recheck["kind"], recheck["parent"], recheck["sample_size"]), ("recheck", round_["id"], 7)
        )
        listed = self.examinee.get("/residents/exams", round=recheck["id"]).json()
        self.assertEqual([e["cadre"]["id"] for e in listed["results"]], [self.cadre.pk])
        self.assertEqual(self.examinee.get("/residents/exams").json()["count"], 2)  # her history

    def test_bad_input_and_scope(self) -> None:
        round_, exam = self.round_and_draw()
        response = self.examiner.post(
            "/residents/exams/rounds", {"street": self.world.west.street.code, "name": "别人的"}
        )
        self.assertEqual(response.json()["error"]["fields"], {"street": "invalid"})
        response = self.examiner.post(
            f"/residents/exams/rounds/{round_['id']}/draw", {"cadre": self.cadre.pk}
        )
        self.assertEqual(response.status_code, 409)  # drawn already
        response = self.examiner.post(
            f"/residents/exams/rounds/{round_['id']}/draw", {"cadre": self.world.west.users[Role.CADRE].pk}
        )
        self.assertEqual(response.json()["error"]["fields"], {"cadre": "invalid"})
        response = self.examinee.post(f"/residents/exams/{exam['id']}/answer", {"answers": [{"position": 9}]})
        self.assertEqual(response.json()["error"]["fields"], {"answers": "invalid"})
        west = ApiClient(self.client, self.world.west.users[Role.ADMIN])
        self.assertEqual(west.get(f"/residents/exams/{exam['id']}").status_code, 404)
        self.assertEqual(west.get("/residents/exams").json()["count"], 0)
        self.assertEqual(west.post(f"/residents/exams/rounds/{round_['id']}/recheck").status_code, 404)

    def test_permission_matrix(self) -> None:
        with time_machine.travel(MOMENT, tick=False):
            round_ = actions.create_round(
                self.admin, street=self.world.east.street, name="矩阵", sample_size=2
            )
            exam = actions.draw(self.admin, round_, self.cadre)
        users = self.world.east.users
        readers = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200}
        others = {Role.DISPATCHER: 404, Role.GRID_WORKER: 404, Role.HANDLER: 404, Role.RESIDENT: 404}
        assert_matrix(TokenLogin(self.client), f"{BASE}/exams/{exam.pk}", {**readers, **others}, users)
        assert_matrix(
            TokenLogin(self.client), f"{BASE}/exams/rounds/{round_.pk}", {**readers, **others}, users
        )

    def test_the_list_queries_do_not_grow_with_rows(self) -> None:
        from civicgrid.accounts.models import User

        east = self.world.east

        def add(n: int) -> None:
            round_ = actions.create_round(self.admin, street=east.street, name=f"轮次{n}", sample_size=1)
            cadre = User.objects.create(
                username=f"east-cadre-{n + 10}", role=Role.CADRE, full_name=f"书记{n}"
            )
            cadre.memberships.create(area=east.grids[0])
            actions.draw(self.admin, round_, cadre)

        add(0)
        few, response = self.examiner.count_queries("/residents/exams")
        self.assertEqual(response.json()["count"], 1)
        for n in range(1, 5):
            add(n)
        many, response = self.examiner.count_queries("/residents/exams")
        self.assertEqual(response.json()["count"], 5)
        self.assertEqual(few, many)
        rounds_few, _ = self.examiner.count_queries("/residents/exams/rounds")
        add(9)
        rounds_many, _ = self.examiner.count_queries("/residents/exams/rounds")
        self.assertEqual(rounds_few, rounds_many)
