"""The evaluation's pages: who sees them, a new evaluation from the list, the set-up forms,
the paper ballots, the actions, the result with its PDF and the desk's slips (PDF text), the
list's constant number of queries, and the public voting page (the ballot, an incomplete one,
a code used twice, a wrong code that shows nothing, the throttle)."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from civicgrid.core.choices import Role
from civicgrid.programmes import ballot_codes
from civicgrid.programmes.actions.evaluations import (
    EVALUATION_FRAME,
    cast_ballot,
    create_evaluation,
    issue_codes,
)
from civicgrid.programmes.choices import EvaluationStatus, Mark
from civicgrid.programmes.models import Evaluation, EvaluationVoter
from civicgrid.programmes.views.evaluations import WRONG_CODE_LIMIT
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.programmes import build_programmes

NOW = datetime(2027, 3, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
VIEWERS = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200, Role.DISPATCHER: 200}
OTHERS = {Role.HANDLER: 404, Role.GRID_WORKER: 404, Role.RESIDENT: 404}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


class Base(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(NOW, tick=False):
            cls.east = build_programmes(cls.world.east)
            cls.west = build_programmes(cls.world.west, mark="西")
            cls.admin = cls.world.east.users[Role.ADMIN]
            cls.evaluation = create_evaluation(
                cls.admin,
                session=cls.east.session,
                title="街道科室民主测评",
                subjects=[{"name": "社区管理办"}, {"name": "社区服务办"}],
            )
            issue_codes(cls.admin, cls.evaluation)
            EVALUATION_FRAME.run(cls.evaluation.pk, "open", cls.admin)
        cls.users = cls.world.east.users
        cls.url = reverse("programmes:evaluation", args=[cls.evaluation.pk])

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)
        cache.clear()
        self.addCleanup(cache.clear)

    def codes(self) -> list[str]:
        voters = EvaluationVoter.objects.filter(evaluation=self.evaluation).order_by("pk")
        return [ballot_codes.derive(self.evaluation.pk, v.representative_id) for v in voters]

    def marks(self, *marks: str) -> dict[str, str]:
        subjects = self.evaluation.subjects.order_by("order")
        return {f"s{s.pk}": m for s, m in zip(subjects, marks, strict=True)}


class DeskPagesTests(Base):
    def test_who_sees_the_pages(self) -> None:
        assert_matrix(
            self.client,
            reverse("programmes:evaluations"),
            {**VIEWERS, Role.HANDLER: 200, Role.GRID_WORKER: 404, Role.RESIDENT: 404},
            self.users,
        )
        assert_matrix(self.client, self.url, {**VIEWERS, **OTHERS}, self.users)
        slips = reverse("programmes:evaluation_slips", args=[self.evaluation.pk])
        assert_matrix(self.client, slips, {Role.ADMIN: 200, Role.LEADER: 404, Role.CADRE: 404}, self.users)
        self.client.force_login(self.world.west.users[Role.ADMIN])
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertNotContains(self.client.get(reverse("programmes:evaluations")), "街道科室民主测评")

    def test_the_page_shows_how_many_voted_never_who(self) -> None:
        cast_ballot(self.codes()[0], {s.pk: Mark.GOOD for s in self.evaluation.subjects.all()})
        self.client.force_login(self.admin)
        page = self.client.get(self.url)
        self.assertContains(page, "已使用测评码")
        for representative in self.east.representatives:
            self.assertNotContains(page, representative.name)
        self.assertContains(page, reverse("programmes:evaluation_paper", args=[self.evaluation.pk]))
        self.client.force_login(self.users[Role.LEADER])
        page = self.client.get(self.url)
        self.assertNotContains(page, reverse("programmes:evaluation_paper", args=[self.evaluation.pk]))
        self.assertNotContains(page, reverse("programmes:evaluation_slips", args=[self.evaluation.pk]))

    def test_create_and_set_up_from_the_pages(self) -> None:
        self.client.force_login(self.admin)
        response = self.client.post(
            reverse("programmes:evaluations"),
            {
                "session": self.east.session.pk,
                "title": "第二次测评",
                "subjects": "社区平安办\n社区自治办\n",
                "units": [self.world.east.unit.pk],
            },
        )
        made = Evaluation.objects.get(title="第二次测评")
        self.assertRedirects(response, made.get_absolute_url())
        self.assertEqual(made.subjects.count(), 3)
        subject = made.subjects.get(name="社区平安办")
        self.client.post(reverse("programmes:evaluation_subject_remove", args=[subject.pk]))
        self.client.post(reverse("programmes:evaluation_subject_add", args=[made.pk]), {"name": "社区管理办"})
        self.assertEqual(
            sorted(made.subjects.values_list("name", flat=True)),
            sorted(["社区自治办", self.world.east.unit.name, "社区管理办"]),
        )
        self.client.post(reverse("programmes:evaluation_codes", args=[made.pk]))
        self.assertEqual(made.voters.count(), 3)
        self.client.post(
            reverse("programmes:evaluation_act", args=[made.pk, "open"]), {"version": made.version}
        )
        made.refresh_from_db()
        self.assertEqual(made.status, EvaluationStatus.OPEN)
        # Another role posting the forms finds nothing.
        self.client.force_login(self.users[Role.CADRE])
        self.assertEqual(self.client.post(reverse("programmes:evaluations"), {"title": "x"}).status_code, 404)
        self.assertEqual(
            self.client.post(reverse("programmes:evaluation_codes", args=[made.pk])).status_code, 404
        )

    def test_paper_ballots_close_and_result_pdf(self) -> None:
        self.client.force_login(self.admin)
        pdf_url = reverse("programmes:evaluation_pdf", args=[self.evaluation.pk])
        self.assertRedirects(self.client.get(pdf_url), self.url)
        first, second = self.evaluation.subjects.order_by("order")
        paper = reverse("programmes:evaluation_paper", args=[self.evaluation.pk])
        bad = {"ballots": "2", f"s{first.pk}_good": "2", f"s{second.pk}_good": "1"}
        page = self.client.post(paper, bad, follow=True)
        self.assertContains(page, "社区服务办")
        self.assertEqual(Evaluation.objects.get(pk=self.evaluation.pk).ballots, 0)
        self.client.post(paper, {**bad, f"s{second.pk}_poor": "1"})
        self.assertEqual(Evaluation.objects.get(pk=self.evaluation.pk).ballots, 2)
        self.evaluation.refresh_from_db()
        self.client.post(
            reverse("programmes:evaluation_act", args=[self.evaluation.pk, "close"]),
            {"version": self.evaluation.version},
        )
        page = self.client.get(self.url)
        self.assertContains(page, "evaluation-chart-data")
        self.assertContains(page, "50.00%")
        response = self.client.get(pdf_url)
        self.assertEqual(response["Content-Type"], "application/pdf")
        text = pdf_text(response.content)
        for expected in ("民主测评结果", "街道科室民主测评", "社区管理办", "100.00%", "50.00%", "66.67%"):
            self.assertIn(expected, text)
        for representative in self.east.representatives:
            self.assertNotIn(representative.name, text)

    def test_slips_pdf(self) -> None:
        self.client.force_login(self.admin)
        response = self.client.get(reverse("programmes:evaluation_slips", args=[self.evaluation.pk]))
        text = pdf_text(response.content).replace(" ", "")
        for representative, code in zip(
            EvaluationVoter.objects.filter(evaluation=self.evaluation)
            .order_by("pk")
            .select_related("representative"),
            self.codes(),
            strict=True,
        ):
            self.assertIn(representative.representative.name, text)
            self.assertIn(ballot_codes.spaced(code), text)
        self.assertIn("/programmes/vote/", text)

    def test_the_list_takes_a_constant_number_of_queries(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("programmes:evaluations")
        self.client.get(url)  # caches warm
        with CaptureQueriesContext(connection) as one:
            self.client.get(url)
        for i in range(3):
            create_evaluation(
                self.admin, session=self.east.session, title=f"测评{i}", subjects=[{"name": "甲"}]
            )
        with self.assertNumQueries(len(one)):
            page = self.client.get(url)
        self.assertContains(page, "测评2")


class VotingPageTests(Base):
    def test_a_representative_votes_on_the_phone_page(self) -> None:
        code = self.codes()[0]
        self.assertEqual(self.client.get(reverse("programmes:vote")).status_code, 200)
        response = self.client.post(reverse("programmes:vote"), {"code": ballot_codes.spaced(code).lower()})
        ballot_url = reverse("programmes:vote_ballot", args=[code])
        self.assertRedirects(response, ballot_url)
        page = self.client.get(ballot_url)
        self.assertContains(page, "社区服务办")
        self.assertContains(page, 'type="radio"', count=8)
        marks = self.marks(Mark.GOOD, Mark.FAIR)
        first = next(iter(marks))
        incomplete = self.client.post(ballot_url, {first: Mark.GOOD})
        self.assertEqual(incomplete.status_code, 400)
        self.assertContains(incomplete, "社区服务办", status_code=400)
        self.assertContains(self.client.post(ballot_url, marks), "已计入")
        self.assertEqual(Evaluation.objects.get(pk=self.evaluation.pk).ballots, 1)
        again = self.client.post(ballot_url, marks)
        self.assertEqual(again.status_code, 404)
        self.assertNotContains(again, "街道科室民主测评", status_code=404)
        self.assertEqual(Evaluation.objects.get(pk=self.evaluation.pk).ballots, 1)

    def test_a_wrong_code_shows_nothing(self) -> None:
        west = self.west.evaluation
        for code in ("NOSUCHCODE", "ABCDEFGHJK", "x" * 300):
            page = self.client.get(reverse("programmes:vote_ballot", args=[code]))
            self.assertEqual(page.status_code, 404)
            for title in ("街道科室民主测评", west.title, "社区管理办"):
                self.assertNotContains(page, title, status_code=404)

    def test_wrong_codes_are_throttled_then_every_code_is_refused(self) -> None:
        for i in range(WRONG_CODE_LIMIT):
            self.assertEqual(
                self.client.get(reverse("programmes:vote_ballot", args=[f"WRONG{i}"])).status_code, 404
            )
        right = reverse("programmes:vote_ballot", args=[self.codes()[0]])
        self.assertEqual(self.client.get(right).status_code, 429)
        other = self.client_class(REMOTE_ADDR="10.0.0.9")
        self.assertEqual(other.get(right).status_code, 200)


class AdminTests(Base):
    def test_read_only_scoped_admin_without_voters(self) -> None:
        from civicgrid.accounts.models import User

        User.objects.filter(pk__in=[self.admin.pk, self.world.west.users[Role.ADMIN].pk]).update(
            is_staff=True
        )
        self.client.force_login(self.admin)
        for model in (
            "project",
            "memberunit",
            "welfareproject",
            "claim",
            "session",
            "representative",
            "proposal",
            "evaluation",
        ):
            with self.subTest(model=model):
                self.assertEqual(self.client.get(f"/admin/programmes/{model}/").status_code, 200)
        for model in ("evaluationvoter", "evaluationcount", "claimsequence"):
            self.assertEqual(self.client.get(f"/admin/programmes/{model}/").status_code, 404)
        page = self.client.get(f"/admin/programmes/evaluation/{self.evaluation.pk}/change/")
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'name="_save"')
        self.assertContains(page, "社区服务办")
        for voter in EvaluationVoter.objects.filter(evaluation=self.evaluation):
            self.assertNotContains(page, voter.code_digest)
        member = self.client.get(f"/admin/programmes/memberunit/{self.east.member.pk}/change/")
        self.assertNotContains(member, "contact_phone")
        self.assertEqual(self.client.get("/admin/programmes/evaluation/add/").status_code, 403)
        self.client.force_login(self.world.west.users[Role.ADMIN])
        self.assertEqual(
            self.client.get(f"/admin/programmes/evaluation/{self.evaluation.pk}/change/").status_code, 404
        )
