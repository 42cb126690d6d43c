"""The proposals pages: who reaches which (the matrix), the forms going through the actions,
the handling figures on the session page, the proposal page with its merged ones and history,
the answer sheet's text, and the year report job and its PDF."""

import io
from datetime import datetime

import time_machine
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from civicgrid.core.choices import Role
from civicgrid.core.models import Job
from civicgrid.programmes.actions import proposals as actions
from civicgrid.programmes.actions.frames import PROPOSAL_FRAME
from civicgrid.programmes.choices import EvaluationStatus, ProposalAction, ProposalStatus, Rating
from civicgrid.programmes.models import Proposal, Representative, Session
from civicgrid.programmes.reports import evaluation_result
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.programmes import build_programmes

NOW = datetime(2027, 6, 10, 9, 0)
VIEWERS = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200, Role.DISPATCHER: 200}
NOBODY = {Role.GRID_WORKER: 404, Role.RESIDENT: 404}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@time_machine.travel(NOW, tick=False)
class ProposalPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_programmes(cls.w.east, mark="东")
        cls.west = build_programmes(cls.w.west, mark="西")
        cls.users = cls.w.east.users
        cls.admin = cls.users[Role.ADMIN]
        cls.proposal = cls.east.proposal
        cls.session_url = reverse("programmes:session", args=[cls.east.session.pk])
        cls.proposal_url = reverse("programmes:proposal", args=[cls.proposal.pk])

    def test_the_matrix(self) -> None:
        for url in (reverse("programmes:sessions"), reverse("programmes:representatives")):
            with self.subTest(url=url):
                assert_matrix(self.client, url, {**VIEWERS, Role.HANDLER: 200, **NOBODY}, self.users)
        assert_matrix(self.client, self.session_url, {**VIEWERS, Role.HANDLER: 404, **NOBODY}, self.users)
        # The assigned unit's handler reads the proposal assigned to it.
        for url in (self.proposal_url, reverse("programmes:proposal_pdf", args=[self.proposal.pk])):
            with self.subTest(url=url):
                assert_matrix(self.client, url, {**VIEWERS, Role.HANDLER: 200, **NOBODY}, self.users)
        assert_matrix(
            self.client,
            reverse("programmes:year_report"),
            {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 404, Role.HANDLER: 404, **NOBODY},
            self.users,
        )
        self.client.force_login(self.w.west.users[Role.ADMIN])
        for url in (self.session_url, self.proposal_url):
            self.assertEqual(self.client.get(url).status_code, 404)

    def test_forms_only_for_the_desk(self) -> None:
        self.client.force_login(self.users[Role.LEADER])
        page = self.client.get(self.session_url)
        self.assertNotContains(page, "登记提案")
        self.assertEqual(
            self.client.post(self.session_url, {"title": "x"}).status_code, 200
        )  # no form: the page again, nothing filed
        self.assertEqual(Proposal.objects.filter(session=self.east.session).count(), 1)
        self.client.force_login(self.users[Role.HANDLER])
        page = self.client.get(self.proposal_url)
        self.assertContains(page, "答复意见")  # the answer form
        self.assertNotContains(page, reverse("programmes:proposal_act", args=[self.proposal.pk, "reassign"]))

    def test_creating_a_session_and_a_representative(self) -> None:
        self.client.force_login(self.admin)
        response = self.client.post(
            reverse("programmes:sessions"),
            {
                "street": self.w.east.street.pk,
                "kind": "community",
                "title": "社区代表大会",
                "held_on": "2027-06-20",
                "proposals_until": "2027-06-01",
            },
        )
        self.assertContains(response, "提案截止日期不能早于会议日期")
        response = self.client.post(
            reverse("programmes:sessions"),
            {
                "street": self.w.east.street.pk,
                "kind": "community",
                "title": "社区代表大会",
                "held_on": "2027-06-20",
            },
        )
        made = Session.objects.get(title="社区代表大会")
        self.assertRedirects(response, made.get_absolute_url())
        response = self.client.post(
            reverse("programmes:representatives"),
            {"street": self.w.east.street.pk, "name": "周代表", "term_from": "2027-01-01"},
        )
        self.assertRedirects(response, reverse("programmes:representatives"))
        rep = Representative.objects.get(name="周代表")
        response = self.client.post(
            reverse("programmes:representative_end", args=[rep.pk]), {"term_to": "2027-06-01"}
        )
        rep.refresh_from_db()
        self.assertFalse(rep.active)
        self.assertContains(self.client.get(reverse("programmes:representatives")), "已离任")

    def test_filing_on_the_session_page_and_the_list(self) -> None:
        self.client.force_login(self.admin)
        reps = self.east.representatives
        response = self.client.post(
            self.session_url,
            {
                "proposer": reps[1].pk,
                "cosigners": [reps[0].pk, reps[2].pk],
                "title": "老年助餐点增设",
                "category": "elderly",
                "body": "建议在社区增设老年助餐点",
            },
        )
        made = Proposal.objects.get(title="老年助餐点增设")
        self.assertRedirects(response, made.get_absolute_url())
        self.assertEqual(made.number, 2)
        response = self.client.post(
            self.session_url,
            {
                "proposer": reps[1].pk,
                "cosigners": [reps[1].pk],
                "title": "x",
                "category": "other",
                "body": "y",
            },
        )
        self.assertContains(response, "附议人不能是提案人本人")
        # The list: counts by status, the filter, a query per figure group, the evaluations: any length.
        with self.assertNumQueries(13):
            page = self.client.get(self.session_url, {"status": "filed"})
        for title in ("停车难", "垃圾分类", "非机动车充电"):
            actions.file_proposal(
                self.admin,
                session=self.east.session,
                proposer=reps[0],
                title=title,
                body="b",
                category="other",
                cosigners=[reps[1]],
            )
        with self.assertNumQueries(13):
            self.client.get(self.session_url, {"status": "filed"})
        self.assertContains(page, "老年助餐点增设")
        self.assertNotContains(page, "增设非机动车充电桩东")
        self.assertContains(page, "已提交 1")

    def test_session_figures_and_overdue_badge(self) -> None:
        # The builder's proposal: assigned, deadline 2027-05-01, unanswered on 2027-06-10.
        self.client.force_login(self.admin)
        page = self.client.get(self.session_url)
        self.assertEqual(page.context["handling"]["overdue"], 1)
        self.assertContains(page, "逾期")
        handler = self.users[Role.HANDLER]
        PROPOSAL_FRAME.run(self.proposal.pk, ProposalAction.ANSWER, handler, {"answer": "已增设"})
        handling = self.client.get(self.session_url).context["handling"]
        self.assertEqual((handling["answered"], handling["late"], handling["on_time"]), (1, 1, 0))
        self.assertEqual(handling["on_time_rate"], 0.0)

    def test_proposal_page_edit_merge_and_history(self) -> None:
        reps = self.east.representatives
        with time_machine.travel(NOW, tick=False):
            target = actions.file_proposal(
                self.admin,
                session=self.east.session,
                proposer=reps[0],
                title="加装电梯",
                body="b",
                category="livelihood",
            )
            other = actions.file_proposal(
                self.admin,
                session=self.east.session,
                proposer=reps[2],
                title="电梯加装",
                body="b",
                category="livelihood",
            )
        self.client.force_login(self.admin)
        url = reverse("programmes:proposal", args=[other.pk])
        page = self.client.get(url)
        self.assertContains(page, "修改提案")
        self.client.post(
            reverse("programmes:proposal_edit", args=[other.pk]),
            {
                "edit-version": 1,
                "edit-title": "多层住宅加装电梯",
                "edit-category": "livelihood",
                "edit-body": "b",
            },
        )
        other.refresh_from_db()
        self.assertEqual(other.title, "多层住宅加装电梯")
        response = self.client.post(
            reverse("programmes:proposal_act", args=[other.pk, "merge"]),
            {"into": target.pk, "note": "同一事项", "version": 2},
        )
        self.assertRedirects(response, url)
        page = self.client.get(reverse("programmes:proposal", args=[target.pk]))
        self.assertContains(page, "并入本案的提案")
        self.assertContains(page, "多层住宅加装电梯")
        page = self.client.get(url)
        self.assertContains(page, "同一事项")  # the history's note
        self.assertContains(page, "加装电梯")

    def test_answer_sheet_text(self) -> None:
        handler = self.users[Role.HANDLER]
        PROPOSAL_FRAME.run(
            self.proposal.pk, ProposalAction.ANSWER, handler, {"answer": "已在 3 号楼增设充电桩 20 个"}
        )
        PROPOSAL_FRAME.run(self.proposal.pk, ProposalAction.RATE, self.admin, {"rating": Rating.BASIC})
        self.client.force_login(self.admin)
        response = self.client.get(reverse("programmes:proposal_pdf", args=[self.proposal.pk]))
        self.assertEqual(response["Content-Type"], "application/pdf")
        text = pdf_text(response.content)
        for expected in (
            "代表提案答复单",
            "第 1 号",
            "增设非机动车充电桩东",
            "孙代表东",
            "钱代表东",
            self.w.east.unit.name,
            "2027-05-01",
            "已在 3 号楼增设充电桩 20 个",
            "2027-06-10",
            "■ 基本满意",
        ):
            self.assertIn(expected, text)

    def test_year_report_job_and_pdf(self) -> None:
        evaluation = self.east.evaluation
        evaluation.status = EvaluationStatus.PUBLISHED
        evaluation.result = {
            "ballots": 12,
            "subjects": [
                {"name": "社区管理办东", "good": 9, "fair": 2, "poor": 1, "unknown": 0, "rate": 91.7},
                {"name": ""},
                "junk",
            ],
        }
        evaluation.save()
        self.client.force_login(self.users[Role.LEADER])
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("programmes:year_report"), {"street": self.w.east.street.pk, "year": 2027}
            )
        job = Job.objects.get(pk=int(response["Location"].strip("/").rsplit("/", 1)[-1]))
        self.assertEqual((job.kind, job.status), ("programmes.year_report", "succeeded"))
        with job.result_file.open("rb") as fh:
            text = pdf_text(fh.read())
        for expected in (
            "2027 年度代表提案工作报告",
            "第三届居民代表会议第二次会议东",
            "增设非机动车充电桩东",
            "民主测评结果",
            "社区管理办东",
            "91.7%",
            "收回测评票 12 张",
        ):
            self.assertIn(expected, text)
        self.assertNotIn("增设非机动车充电桩西", text)
        # Another street's year is refused to this leader's form.
        response = self.client.post(
            reverse("programmes:year_report"), {"street": self.w.west.street.pk, "year": 2027}
        )
        self.assertEqual(response.status_code, 200)

    def test_evaluation_results_are_read_defensively(self) -> None:
        for junk in (None, [], "x", {"ballots": "many", "subjects": {"a": 1}}):
            result = evaluation_result("t", "s", junk)
            self.assertEqual((result.ballots, result.subjects), (0, []))
        result = evaluation_result(
            "t", "s", {"subjects": [{"name": "办", "good": "3", "poor": -2, "rate": "x"}]}
        )
        self.assertEqual(
            result.subjects, [{"name": "办", "good": 3, "fair": 0, "poor": 0, "unknown": 0, "rate": None}]
        )

    def test_unknown_action_and_merged_status(self) -> None:
        self.client.force_login(self.admin)
        self.assertEqual(
            self.client.post(reverse("programmes:proposal_act", args=[self.proposal.pk, "nope"])).status_code,
            404,
        )
        self.assertEqual(self.proposal.status, ProposalStatus.ASSIGNED)
        self.assertEqual(self.client.get(reverse("programmes:proposal", args=[999999])).status_code, 404)
