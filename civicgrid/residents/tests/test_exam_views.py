"""知情考试 pages: who opens which, the answer form without the registry, the answer and the
grade through the web, refusals as 4xx, and the number of queries of the lists."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.test import TestCase
from django.urls import reverse

from civicgrid.accounts.models import User
from civicgrid.core.choices import Role
from civicgrid.residents.actions import exams as actions
from civicgrid.residents.choices import ExamStatus
from civicgrid.residents.models import Exam, ExamRound, Flat, Household
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.residents import build_registry

MOMENT = datetime(2026, 11, 20, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
EXAMINERS = {Role.ADMIN: 200, Role.LEADER: 200}
# The exam page: the session and scope, the exam, its items with their flats, the redraw, the inbox badge.
EXAM_PAGE_QUERIES = 9
OTHERS = {Role.DISPATCHER: 404, Role.GRID_WORKER: 404, Role.HANDLER: 404, Role.RESIDENT: 404}


class ExamPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        with time_machine.travel(MOMENT, tick=False):
            cls.world = build_world()
            cls.reg = build_registry(cls.world.east)
            east = cls.world.east
            cls.users = east.users
            cls.admin, cls.cadre = east.users[Role.ADMIN], east.users[Role.CADRE]
            cls.round = actions.create_round(cls.admin, street=east.street, name="知情考试", sample_size=10)
            cls.exam = actions.draw(cls.admin, cls.round, cls.cadre, east.grids[0])

    def setUp(self) -> None:
        self.clock = time_machine.travel(MOMENT, tick=False)
        self.clock.start()
        self.addCleanup(self.clock.stop)

    def answer_post(self) -> dict[str, object]:
        """The form as the cadre fills it: every household with its size and one name."""
        data: dict[str, object] = {"version": 1}
        for item in self.exam.items.all():
            p = item.position
            data[f"i{p}-size"] = "1"
            data[f"i{p}-name"] = ["王秀英", ""]
            data[f"i{p}-employment"] = ["retired", ""]
            data[f"i{p}-care"] = ["alone"]
        return data

    def test_permission_matrix(self) -> None:
        cadre_reads = {**EXAMINERS, Role.CADRE: 200, **OTHERS}
        assert_matrix(self.client, reverse("residents:exams"), cadre_reads, self.users)
        assert_matrix(self.client, self.round.get_absolute_url(), cadre_reads, self.users)
        assert_matrix(self.client, self.exam.get_absolute_url(), cadre_reads, self.users)
        assert_matrix(
            self.client,
            reverse("residents:exam_round_new"),
            {**EXAMINERS, Role.CADRE: 404, **OTHERS},
            self.users,
        )
        assert_matrix(
            self.client,
            reverse("residents:exam_answer", args=[self.exam.pk]),
            {Role.CADRE: 200, Role.ADMIN: 404, Role.LEADER: 404, **OTHERS},
            self.users,
        )
        west = self.world.west.users
        assert_matrix(self.client, self.exam.get_absolute_url(), dict.fromkeys(Role.values, 404), west)

    def test_a_cadre_cannot_see_another_cadres_exam(self) -> None:
        other = User.objects.create(username="east-cadre-2", role=Role.CADRE, full_name="另一位书记")
        other.memberships.create(area=self.world.east.residential[0])
        self.client.force_login(other)
        self.assertEqual(self.client.get(self.exam.get_absolute_url()).status_code, 404)
        self.assertEqual(
            self.client.get(reverse("residents:exam_answer", args=[self.exam.pk])).status_code, 404
        )
        self.assertEqual(self.client.get(self.round.get_absolute_url()).status_code, 404)
        response = self.client.get(reverse("residents:exams"))
        self.assertNotContains(response, self.exam.get_absolute_url())

    def test_the_answer_form_shows_address_and_room_only(self) -> None:
        self.client.force_login(self.cadre)
        response = self.client.get(reverse("residents:exam_answer", args=[self.exam.pk]))
        self.assertContains(response, "101室")
        for name in ("王秀英", "李建国", "张丽", "赵强"):
            self.assertNotContains(response, name)
        self.assertContains(response, 'value="correction"')  # she may see the sensitive kinds

    def test_answer_then_grade_through_the_pages(self) -> None:
        self.client.force_login(self.cadre)
        url = reverse("residents:exam_answer", args=[self.exam.pk])
        response = self.client.post(url, self.answer_post())
        self.assertRedirects(response, self.exam.get_absolute_url())
        exam = Exam.objects.get(pk=self.exam.pk)
        self.assertEqual(exam.status, ExamStatus.ANSWERED)
        self.assertGreater(exam.matched, 0)
        # Answering again is refused (the form sends her back; the action answers 409).
        response = self.client.post(url, self.answer_post())
        self.assertRedirects(response, self.exam.get_absolute_url())
        self.client.force_login(self.admin)
        page = self.client.get(self.exam.get_absolute_url())
        self.assertContains(page, "按答对率建议")
        self.assertNotContains(page, "社区矫正")  # the examiner may not see that kind named
        grade = reverse("residents:exam_grade", args=[self.exam.pk])
        response = self.client.post(grade, {"grade": "9", "version": exam.version})
        self.assertContains(response, "评级须在 1–5 之间", status_code=400)
        response = self.client.post(grade, {"grade": "1", "note": "熟悉", "version": exam.version})
        self.assertRedirects(response, self.exam.get_absolute_url())
        self.assertEqual(Exam.objects.get(pk=self.exam.pk).grade, 1)
        response = self.client.post(grade, {"grade": "2", "version": exam.version + 1})
        self.assertEqual(response.status_code, 409)

    def test_grade_before_answer_is_409_and_bad_answers_400(self) -> None:
        self.client.force_login(self.admin)
        response = self.client.post(reverse("residents:exam_grade", args=[self.exam.pk]), {"grade": "1"})
        self.assertEqual(response.status_code, 409)
        self.client.force_login(self.cadre)
        data = self.answer_post()
        data["i1-size"] = "很多"
        response = self.client.post(reverse("residents:exam_answer", args=[self.exam.pk]), data)
        self.assertContains(response, "户人数须为整数", status_code=400)
        self.assertContains(response, 'value="王秀英"', status_code=400)  # what she typed stays
        self.assertEqual(Exam.objects.get(pk=self.exam.pk).status, ExamStatus.DRAWN)

    def test_round_creation_draw_and_recheck_pages(self) -> None:
        self.client.force_login(self.admin)
        response = self.client.post(
            reverse("residents:exam_round_new"),
            {
                "street": self.world.east.street.pk,
                "name": "第二轮",
                "held_on": "2026-11-21",
                "sample_size": "",
            },
        )
        round_ = ExamRound.objects.get(name="第二轮")
        self.assertRedirects(response, round_.get_absolute_url())
        self.assertEqual(round_.sample_size, 10)
        response = self.client.post(
            reverse("residents:exam_round_new"),
            {"street": self.world.west.street.pk, "name": "别人的", "held_on": "2026-11-21"},
        )
        self.assertEqual(response.status_code, 400)
        draw = reverse("residents:exam_draw", args=[round_.pk])
        response = self.client.post(draw, {"cadre": self.cadre.pk, "area": self.world.east.residential[1].pk})
        self.assertContains(response, "抽查范围须为该干部的居民区", status_code=400)
        response = self.client.post(draw, {"cadre": self.cadre.pk, "area": ""})
        self.assertRedirects(response, round_.get_absolute_url())
        self.assertEqual(round_.exams.get().items.count(), 3)
        response = self.client.post(reverse("residents:exam_recheck", args=[round_.pk]))
        self.assertContains(response, "本轮没有评为一级的干部", status_code=409)

    def test_list_queries_do_not_grow_with_rows(self) -> None:
        east = self.world.east
        for n in range(6):
            flat = Flat.objects.create(building=east.buildings[0], street_id=east.street.pk, room=f"8{n}")
            Household.objects.create(flat=flat, street_id=east.street.pk, moved_in=date(2020, 1, 1))
        for n in range(4):
            cadre = User.objects.create(username=f"east-cadre-{n + 2}", role=Role.CADRE, full_name=f"书记{n}")
            cadre.memberships.create(area=east.residential[0])
            round_ = actions.create_round(self.admin, street=east.street, name=f"轮次{n}", sample_size=3)
            actions.draw(self.admin, round_, cadre)
            actions.draw(self.admin, self.round, cadre)
        self.client.force_login(self.admin)
        self.client.get(reverse("residents:exams"))  # the session and the scope
        with self.assertNumQueries(8):
            response = self.client.get(reverse("residents:exams"))
        self.assertEqual(len(response.context["exams"]), 9)
        with self.assertNumQueries(11):
            response = self.client.get(self.round.get_absolute_url())
        self.assertEqual(len(response.context["exams"]), 5)

    def test_pages_read_in_english(self) -> None:
        from civicgrid.cases.tests.test_i18n import cjk_outside_data
        from civicgrid.geo.models import Area, Building

        data = [
            *Area.objects.values_list("name", flat=True),
            *Building.objects.values_list("address", flat=True),
        ]
        data += [
            *User.objects.values_list("full_name", flat=True),
            self.round.name,
            "简体中文",
            settings.CIVICGRID_SITE_NAME,
        ]
        for user, url in (
            (self.admin, reverse("residents:exams")),
            (self.admin, self.round.get_absolute_url()),
            (self.admin, reverse("residents:exam_round_new")),
            (self.cadre, self.exam.get_absolute_url()),
        ):
            self.client.force_login(user)
            self.client.cookies["django_language"] = "en"
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200)
            html = response.content.decode()
            self.assertIn("Household knowledge examination", html)
            self.assertEqual(cjk_outside_data(html, data), [], url)

    def test_results_per_cadre_and_area(self) -> None:
        east = self.world.east
        other = User.objects.create(username="east-cadre-9", role=Role.CADRE, full_name="九号书记")
        other.memberships.create(area=east.grids[0])
        theirs = actions.draw(self.admin, self.round, other)
        self.client.force_login(self.admin)
        url = reverse("residents:exams")
        self.assertEqual(len(self.client.get(url).context["exams"]), 2)
        by_cadre = self.client.get(url, {"cadre": other.pk}).context["exams"]
        self.assertEqual(by_cadre, [theirs])
        self.assertEqual(self.client.get(url, {"cadre": "x"}).context["exams"], [])
        self.assertEqual(len(self.client.get(url, {"area": east.grids[0].code}).context["exams"]), 2)
        self.assertEqual(self.client.get(url, {"area": east.grids[1].code}).context["exams"], [])
        # A cadre's own history: hers only, whatever she asks for.
        self.client.force_login(self.cadre)
        self.assertEqual(self.client.get(url).context["exams"], [self.exam])
        self.assertEqual(self.client.get(url, {"cadre": other.pk}).context["exams"], [])

    def test_exam_page_queries_do_not_grow_with_households(self) -> None:
        answers = [{"position": i.position, "size": 1, "care": ["alone"]} for i in self.exam.items.all()]
        actions.FRAME.run(self.exam.pk, "answer", self.cadre, {"answers": answers})
        self.client.force_login(self.admin)
        self.client.get(self.exam.get_absolute_url())
        with self.assertNumQueries(EXAM_PAGE_QUERIES):
            response = self.client.get(self.exam.get_absolute_url())
        self.assertEqual(len(response.context["items"]), 3)
        self.assertContains(response, "一致")
        self.assertContains(response, "按种子复核：抽取结果一致")
