"""The register's pages and API: who sees them (assert_matrix), the list's filters and query
count, the actions through the pages and the API, and the published list PDF's text: names,
sex and ages in, ID numbers, phones and birth dates out."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from civicgrid.accounts import tokens
from civicgrid.core.choices import Role
from civicgrid.core.models import Job
from civicgrid.elections.actions import voters as actions
from civicgrid.elections.actions.elections import ELECTION_FRAME
from civicgrid.elections.actions.rounds import create_round
from civicgrid.elections.choices import ElectionAction, ObjectionKind, VoterStatus
from civicgrid.elections.models import Voter
from civicgrid.residents.choices import Relation
from civicgrid.residents.models import Person
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.residents import build_registry

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)
DAY = date(2026, 8, 20)


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace(" ", "")


class RegisterWorld(TestCase):
    """An election registering voters (16 from the registry, in one group) on 1 June 2026."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        east = cls.world.east
        cls.reg = build_registry(east)
        cls.users = east.users
        cls.admin, cls.cadre = east.users[Role.ADMIN], east.users[Role.CADRE]
        with time_machine.travel(NOW, tick=False):
            cls.round = create_round(
                cls.admin, street=east.street, name="2026 换届", year=2026, election_day=DAY
            )
            cls.election = cls.round.elections.get(area=east.residential[0])
            cls.other = cls.round.elections.get(area=east.residential[1])
            run = lambda action: ELECTION_FRAME.run(cls.election.pk, action, cls.cadre, {})  # noqa: E731
            run(ElectionAction.FORM_COMMITTEE)
            cls.group = actions.create_group(
                cls.cadre, cls.election, number=1, buildings=str(east.buildings[0].pk)
            )
            run(ElectionAction.DIVIDE_GROUPS)
            run(ElectionAction.OPEN_REGISTRATION)
            for i in range(12):
                Person.objects.create(
                    street_id=east.street.pk,
                    household=cls.reg.households[0],
                    name=f"居民{i:02d}",
                    birth_date=date(1980, 1, 1 + i),
                    relation=Relation.CHILD,
                    id_number=f"31000019800101{i:04d}",
                    phone=f"1390000{i:04d}",
                )
            actions.build_register(cls.cadre, cls.election)
        cls.voter = Voter.objects.get(election=cls.election, name="李建国")
        cls.matrix_users = {**east.users, "west_admin": cls.world.west.users[Role.ADMIN]}

    def url(self, name: str, *args: object) -> str:
        return reverse(f"elections:{name}", args=args or [self.election.pk])


@time_machine.travel(NOW, tick=False)
class PagesTests(RegisterWorld):
    def test_who_sees_the_register(self) -> None:
        seen = {
            Role.ADMIN: 200,
            Role.LEADER: 200,
            Role.CADRE: 200,
            Role.DISPATCHER: 404,
            Role.GRID_WORKER: 404,
            Role.RESIDENT: 404,
            "west_admin": 404,
        }
        for name in ("voters", "groups", "objections", "proxies", "mailings"):
            assert_matrix(self.client, self.url(name), seen, self.matrix_users)
        assert_matrix(
            self.client,
            self.url("voter_add"),
            {Role.ADMIN: 200, Role.CADRE: 200, Role.LEADER: 404, "west_admin": 404},
            self.matrix_users,
        )
        # The cadre of the first committee does not see the second one's register.
        assert_matrix(
            self.client, self.url("voters", self.other.pk), {Role.CADRE: 404, Role.ADMIN: 200}, self.users
        )

    def test_list_filters_counts_and_queries(self) -> None:
        self.client.force_login(self.cadre)
        with CaptureQueriesContext(connection) as first:
            response = self.client.get(self.url("voters"), {"group": self.group.pk})
        self.assertContains(response, "李建国")
        self.assertContains(response, "居民11")
        self.assertEqual(response.context["counts"]["listed"], 16)
        self.assertNotContains(response, "1390000")  # no phone on the page
        actions.add_voter(self.cadre, self.election, name="无组者")
        with CaptureQueriesContext(connection) as second:
            self.client.get(self.url("voters"), {"group": self.group.pk})
        self.assertEqual(len(first), len(second))
        response = self.client.get(self.url("voters"), {"group": "none"})
        self.assertEqual([row["v"].name for row in response.context["voters"]], ["无组者"])

    def test_actions_through_the_pages(self) -> None:
        self.client.force_login(self.cadre)
        response = self.client.post(self.url("voters_build"))
        self.assertRedirects(response, self.url("voters"))
        self.client.post(reverse("elections:voter_representative", args=[self.voter.pk]), {"group": "1"})
        self.assertTrue(Voter.objects.get(pk=self.voter.pk).is_group_rep)
        self.client.post(reverse("elections:voter_strike", args=[self.voter.pk]), {"reason": ""})
        self.assertEqual(Voter.objects.get(pk=self.voter.pk).status, VoterStatus.LISTED)
        self.client.post(reverse("elections:voter_strike", args=[self.voter.pk]), {"reason": "本人书面申请"})
        self.assertEqual(Voter.objects.get(pk=self.voter.pk).status, VoterStatus.STRUCK)
        response = self.client.post(
            self.url("voter_add"), {"name": "补登者", "basis": "resident", "birth_date": "2009-01-01"}
        )
        self.assertContains(response, "未满 18 周岁")
        response = self.client.post(self.url("mailings"), {"kind": "notice", "sent": 30, "receipts": 12})
        self.assertRedirects(response, self.url("mailings"))
        self.assertContains(self.client.get(self.url("mailings")), "回执 12")
        # The leader reads but does not write.
        self.client.force_login(self.users[Role.LEADER])
        self.client.post(self.url("voters_build"))
        self.assertEqual(
            self.client.post(self.url("mailings"), {"kind": "notice", "sent": 1}).status_code, 404
        )

    def printed(self) -> str:
        """The published list, drawn by the job the page starts (eagerly in the tests)."""
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url("voter_list_print"))
        job = Job.objects.get(pk=int(response["Location"].strip("/").rsplit("/", 1)[-1]))
        self.assertEqual((job.kind, job.status), ("elections.voter_list", "succeeded"))
        self.assertTrue(job.result_file.name.endswith(".pdf"))
        with job.result_file.open("rb") as fh:
            return pdf_text(fh.read())

    def test_the_published_list_pdf(self) -> None:
        self.client.force_login(self.users[Role.LEADER])
        self.assertEqual(self.client.get(self.url("voter_list_print")).status_code, 405)
        text = self.printed()
        for expected in ("选民名单公告", self.election.area.name, "李建国", "居民00", "2026-08-20"):
            self.assertIn(expected, text)
        self.assertIn(str(self.group), text)
        self.assertIn("56", text)  # 李建国, born 8 March 1970: 56 on election day
        for absent in ("310000", "13800000", "13900000", "1970-03-08", "1980-01-01"):
            self.assertNotIn(absent, text)

    def test_published_list_shows_publication_and_deadline(self) -> None:
        with time_machine.travel(NOW, tick=False):
            ELECTION_FRAME.run(self.election.pk, ElectionAction.CLOSE_REGISTRATION, self.cadre, {})
            ELECTION_FRAME.run(self.election.pk, ElectionAction.PUBLISH_LIST, self.cadre, {})
        self.client.force_login(self.cadre)
        text = self.printed()
        self.assertIn("2026-06-01", text)
        self.assertIn("2026-06-06", text)  # five days to object
        # An objection filed on the page, decided on its own page.
        response = self.client.post(
            self.url("objections"),
            {
                "kind": ObjectionKind.OMITTED,
                "filer_name": "甲",
                "subject_name": "甲",
                "statement": "本人漏登",
            },
        )
        objection = self.election.objections.get()
        self.assertRedirects(response, reverse("elections:objection", args=[objection.pk]))
        page = self.client.get(reverse("elections:objection", args=[objection.pk]))
        self.assertContains(page, 'id="act-uphold"')
        self.client.post(
            reverse("elections:objection_action", args=[objection.pk, "uphold"]),
            {"version": objection.version, "decision": "核实后列入"},
        )
        self.assertTrue(
            Voter.objects.filter(election=self.election, name="甲", status=VoterStatus.LISTED).exists()
        )


@time_machine.travel(NOW, tick=False)
class ApiTests(RegisterWorld):
    """The same register through /api/v1/elections/ with tokens."""

    def api(self, user, method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
        token = tokens.issue(user, scopes=["elections:read", "elections:write"], rate_limit=0).key
        return getattr(self.client, method)(
            f"/api/v1/elections{path}",
            headers={"Authorization": f"Bearer {token}"},
            content_type="application/json",
            **kwargs,
        )

    def test_api_register(self) -> None:
        base = f"/elections/{self.election.pk}"
        listing = self.api(self.cadre, "get", f"{base}/voters?page_size=5").json()
        self.assertEqual((listing["count"], len(listing["results"])), (16, 5))
        self.assertNotIn("birth_date", listing["results"][0])
        self.assertEqual(self.api(self.cadre, "get", f"{base}/voters?group=abc").status_code, 400)
        self.assertEqual(
            self.api(self.cadre, "post", f"{base}/build-register").json(),
            {"added": 0, "kept": 16, "struck": 0},
        )
        response = self.api(
            self.cadre, "post", f"/voters/{self.voter.pk}/representative", data={"group": True}
        )
        self.assertTrue(response.json()["is_group_rep"])
        response = self.api(
            self.cadre, "post", f"{base}/voters", data={"name": "小明", "birth_date": "2010-01-01"}
        )
        self.assertEqual(
            (response.status_code, response.json()["error"]["fields"]), (400, {"birth_date": "under_age"})
        )
        self.assertEqual(self.api(self.users[Role.LEADER], "post", f"{base}/build-register").status_code, 403)
        self.assertEqual(self.api(self.cadre, "get", f"/elections/{self.other.pk}/voters").status_code, 404)
        response = self.api(self.cadre, "post", f"{base}/mailings", data={"kind": "letter", "sent": 100})
        self.assertEqual(response.status_code, 201)
        totals = self.api(self.cadre, "get", f"{base}/mailings").json()["totals"]
        self.assertEqual([t["sent"] for t in totals], [100, 0])
        with self.captureOnCommitCallbacks(execute=True):
            started = self.api(self.cadre, "post", f"{base}/voter-list")
        self.assertEqual(started.status_code, 202)
        job = Job.objects.get(pk=started.json()["job_id"])
        self.assertEqual((job.kind, job.status), ("elections.voter_list", "succeeded"))
        self.assertEqual(started.json()["job_url"], f"/jobs/{job.pk}/")
