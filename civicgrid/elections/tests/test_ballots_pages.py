"""The candidates and ballots pages, the results PDFs (their text extracted), the API, who may
see and do what (role × page), and the query counts of the ballots page."""

import io
from datetime import date

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from pypdf import PdfReader

from civicgrid.accounts import tokens
from civicgrid.core.choices import Role
from civicgrid.elections import tally
from civicgrid.elections.actions.ballots import record_box
from civicgrid.elections.choices import BoxKind, CandidateStatus, ElectionStatus
from civicgrid.elections.models import BallotBox, Candidate, Count, Election, Member
from civicgrid.testing.elections import build_elections
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

from .test_ballots_count import DAY, PREPARE, VOTING, build_electorate, count, to_nominated


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")


class BallotPagesTests(TestCase):
    """The cadre's committee (the first election) taken to a count with vacancies, then its
    second ballot counted: the pages, PDFs and API read it."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(PREPARE, tick=False):
            made = build_elections(cls.world.east, day=DAY)
        cls.cadre = cls.world.east.users[Role.CADRE]
        cls.admin = cls.world.east.users[Role.ADMIN]
        # The builder's direct rows are not this flow's: start the committee afresh.
        election = made.elections[0]
        Member.objects.filter(election=election).delete()
        Count.objects.filter(election=election).delete()
        BallotBox.objects.filter(election=election).delete()
        Candidate.objects.filter(election=election).delete()
        election.objections.update(status="rejected")
        election.voters.all().delete()
        election.groups.all().delete()
        voters = build_electorate(election)
        voters[0].__class__.objects.filter(pk=voters[0].pk).update(birth_date=date(1977, 9, 1))
        election = to_nominated(Election.objects.get(pk=election.pk), cls.cadre)
        Candidate.objects.filter(election=election, name="甲主任").update(
            sex="F", birth_date=date(1977, 9, 1)
        )
        with time_machine.travel(VOTING, tick=False):
            record_box(
                cls.cadre,
                election,
                kind=BoxKind.HALL,
                name="中心会场",
                issued=15,
                cast=15,
                invalid=1,
                votes={"甲主任": 12, "乙副主任": 9, "丙委员": 8, "丁委员": 7, "戊委员": 6},
            )
            record_box(
                cls.cadre,
                election,
                kind=BoxKind.MOBILE,
                name="流动票箱一",
                issued=2,
                cast=2,
                invalid=0,
                votes={"甲主任": 2},
            )
        cls.election = count(election, cls.cadre)
        assert cls.election.status == ElectionStatus.SECOND_ROUND

    def test_the_counts_reason_reads_in_the_readers_language(self) -> None:
        stored = Count.objects.get(election=self.election)
        self.assertIn("选举有效", stored.reason)  # the counter's words, kept for the audit
        with translation.override("en"):
            english = tally.reason_of(stored)
        self.assertNotEqual(english, stored.reason)
        self.assertIn("the election is valid", english)
        self.client.force_login(self.cadre)
        self.client.cookies["django_language"] = "en"
        html = self.client.get(reverse("elections:ballots", args=[self.election.pk])).content.decode()
        self.assertIn(escape(english), html)
        self.assertNotIn(stored.reason, html)

    def test_pdfs_text(self) -> None:
        self.client.force_login(self.cadre)
        response = self.client.get(reverse("elections:results_pdf", args=[self.election.pk]))
        self.assertEqual((response.status_code, response["Content-Type"]), (200, "application/pdf"))
        text = text_of(response.content)
        area = self.election.area.name.replace(" ", "")
        first = Count.objects.get(election=self.election)
        for expected in (
            "选举结果公告",
            area,
            "2027年8月20日",
            "登记选民",
            "20",
            "17",
            "85.0%",
            "甲主任",
            "主任",
            "14",
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, text)
        self.assertIn("空缺", text)
        for name in first.second_round:
            self.assertIn(name, text)
        response = self.client.get(reverse("elections:district_report_pdf", args=[self.election.pk]))
        # Long lines wrap in the PDF: the reason is looked for in the text without line breaks.
        text = text_of(response.content).replace("\n", "")
        for expected in (
            "选举结果报告单",
            self.election.round.name.replace(" ", ""),
            "全体选民直接选举",
            "中心会场",
            "流动票箱一",
            "流动票箱",
            "女",
            "49",  # born 1977-09-01: 49 on 2027-08-20
            first.reason.replace(" ", ""),
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, text)

    def test_ballots_page_and_its_queries(self) -> None:
        self.client.force_login(self.cadre)
        url = reverse("elections:ballots", args=[self.election.pk])
        with CaptureQueriesContext(connection) as few:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        body = response.content.decode()
        for expected in ("中心会场", "流动票箱一", "85.0%", "甲主任", "第 2 次投票", 'name="votes_'):
            self.assertIn(expected, body)
        self.assertNotIn("write_in_name_1", body)  # 另行选举: no write-ins
        with time_machine.travel(VOTING, tick=False):
            for i in range(4):
                record_box(
                    self.cadre,
                    self.election,
                    kind=BoxKind.STATION,
                    name=f"投票站{i}",
                    issued=1,
                    cast=1,
                    invalid=0,
                    votes={Count.objects.get(election=self.election).second_round[0]: 1},
                )
        with CaptureQueriesContext(connection) as more:
            self.assertEqual(self.client.get(url).status_code, 200)
        self.assertEqual(len(more), len(few))

    def test_record_and_count_through_the_pages(self) -> None:
        self.client.force_login(self.cadre)
        listed = Count.objects.get(election=self.election).second_round
        standing = Candidate.objects.filter(election=self.election, name__in=listed)
        data = {"kind": "hall", "name": "第二轮会场", "issued": "12", "cast": "12", "invalid": "0"}
        data |= {f"votes_{c.pk}": str(v) for c, v in zip(standing.order_by("id"), (9, 7, 5), strict=False)}
        url = reverse("elections:ballots", args=[self.election.pk])
        self.assertRedirects(self.client.post(url, data), url)
        self.assertTrue(
            BallotBox.objects.filter(election=self.election, round_no=2, name="第二轮会场").exists()
        )
        bad = data | {"invalid": "13"}
        response = self.client.post(url, bad, follow=True)
        self.assertContains(response, "无效票不能多于收回的选票")
        with time_machine.travel(VOTING, tick=False):
            self.client.force_login(self.cadre)  # the session is dated: log in on the day
            version = Election.objects.get(pk=self.election.pk).version
            response = self.client.post(
                reverse("elections:count", args=[self.election.pk]), {"version": version, "note": "复核"}
            )
        self.assertRedirects(response, url)
        self.assertEqual(Election.objects.get(pk=self.election.pk).status, ElectionStatus.COUNTED)
        self.assertEqual(Member.objects.filter(election=self.election).count(), 5)

    def test_candidates_page(self) -> None:
        self.client.force_login(self.cadre)
        response = self.client.get(reverse("elections:candidates", args=[self.election.pk]))
        self.assertContains(response, "己委员")
        self.assertContains(response, CandidateStatus.OFFICIAL.label)
        self.assertNotContains(response, "提名候选人")  # announced: no more nominations

    def test_who_sees_the_pages(self) -> None:
        users = {
            "cadre": self.cadre,
            "admin": self.admin,
            "leader": self.world.east.users[Role.LEADER],
            "dispatcher": self.world.east.users[Role.DISPATCHER],
            "west_admin": self.world.west.users[Role.ADMIN],
        }
        expected = {"cadre": 200, "admin": 200, "leader": 200, "dispatcher": 404, "west_admin": 404}
        for name in ("elections:candidates", "elections:ballots", "elections:results_pdf"):
            assert_matrix(self.client, reverse(name, args=[self.election.pk]), expected, users)
        # Recording a box: the leader reads but may not; the west street's admin finds nothing.
        url = reverse("elections:ballots", args=[self.election.pk])
        data = {"kind": "hall", "name": "越权", "issued": "1", "cast": "1", "invalid": "0"}
        assert_matrix(
            self.client,
            url,
            {"leader": 302, "dispatcher": 404, "west_admin": 404},
            users,
            method="post",
            data=data,
        )
        self.assertFalse(BallotBox.objects.filter(name="越权").exists())

    def test_api(self) -> None:
        issued = tokens.issue(self.cadre, name="计票", scopes=["elections:read", "elections:write"])
        auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.key}"}
        base = f"/api/v1/elections/elections/{self.election.pk}"
        response = self.client.get(f"{base}/counts", **auth)
        self.assertEqual(response.status_code, 200)
        page = response.json()
        self.assertEqual(page["count"], 1)
        self.assertEqual(page["results"][0]["outcome"], "vacancies")
        self.assertEqual(page["results"][0]["turnout"], "0.850000")
        members = self.client.get(f"{base}/members", **auth).json()
        self.assertEqual(members["count"], 2)  # 14 and 9 of 17 cast
        self.assertEqual(members["results"][0]["name"], "甲主任")
        boxes = self.client.get(f"{base}/boxes", **auth).json()
        self.assertEqual([b["name"] for b in boxes["results"]], ["中心会场", "流动票箱一"])
        self.assertEqual(boxes["results"][1]["votes"], [{"name": "甲主任", "votes": 2}])
        self.assertEqual(self.client.get(f"{base}/candidates", **auth).json()["count"], 6)
        listed = Count.objects.get(election=self.election).second_round
        response = self.client.post(
            f"{base}/boxes",
            {"kind": "hall", "name": "第二轮", "issued": 10, "cast": 10, "votes": {"冒名": 3}},
            content_type="application/json",
            **auth,
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"]["fields"], {"votes.冒名": "not_candidate"})
        response = self.client.post(
            f"{base}/boxes",
            {"kind": "hall", "name": "第二轮", "issued": 10, "cast": 10, "votes": {listed[0]: 6}},
            content_type="application/json",
            **auth,
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["ballot"], 2)
        # Voting has begun: a candidate can no longer withdraw.
        candidate = Candidate.objects.get(election=self.election, name=listed[0])
        response = self.client.post(
            f"/api/v1/elections/candidates/{candidate.pk}/withdraw",
            {"reason": "本人申请"},
            content_type="application/json",
            **auth,
        )
        self.assertEqual(response.status_code, 409)
        pdf = self.client.get(f"{base}/results.pdf", **auth)
        self.assertIn("选举结果公告", text_of(pdf.content))
        # Another street's token sees no such election.
        west_key = tokens.issue(self.world.west.users[Role.ADMIN], name="西", scopes=["elections:read"]).key
        response = self.client.get(f"{base}/counts", HTTP_AUTHORIZATION=f"Bearer {west_key}")
        self.assertEqual(response.status_code, 404)
