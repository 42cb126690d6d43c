"""The programmes lists share one FilterSet each (docs/architecture.md, "Filters"): the same
parameters give the same rows on the page and in the API, and another street's code is
refused in the API (400 naming `street`) like an unknown one."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Action, Role
from civicgrid.programmes.filters import (
    MemberFilterSet,
    ProjectFilterSet,
    ProposalFilterSet,
    WelfareFilterSet,
)
from civicgrid.programmes.models import MemberUnit, Project, Proposal, WelfareProject
from civicgrid.testing.api import ApiClient
from civicgrid.testing.factories import build_world
from civicgrid.testing.programmes import build_programmes

NOW = datetime(2027, 7, 15, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class FilterTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_programmes(cls.w.east, mark="东")
        build_programmes(cls.w.west, mark="西")
        build_programmes(cls.w.east, year=2026, mark="旧")

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)
        self.admin = self.w.user("east", Role.ADMIN)
        self.api = ApiClient(self.client, self.admin)
        self.client.force_login(self.admin)

    def ids(self, path: str, **params: str) -> set[int]:
        answer = self.api.get(path, page_size="100", **params)
        self.assertEqual(answer.status_code, 200, answer.content)
        return {row["id"] for row in answer.json()["results"]}

    def test_projects_page_and_api_agree(self) -> None:
        east = self.w.east.street.code
        combos = [
            {"year": "2027"},
            {"year": "2027", "status": "active"},
            {"year": "2027", "category": "safety"},
            {"year": "2026", "street": east},
            {"year": "2027", "status": "draft"},
        ]
        visible = Project.objects.restrict(self.admin, Action.VIEW)
        for params in combos:
            with self.subTest(params=params):
                expected = set(
                    ProjectFilterSet(params, visible, user=self.admin).checked().values_list("pk", flat=True)
                )
                self.assertEqual(self.ids("/programmes/projects", **params), expected)
                page = self.client.get("/programmes/projects/", params).content.decode()
                for project in visible:
                    shown = f'href="{project.get_absolute_url()}"' in page
                    self.assertEqual(shown, project.pk in expected, (params, project.title))
        self.assertEqual(len(self.ids("/programmes/projects", year="2026")), 2)

    def test_other_lists_answer_through_their_filters(self) -> None:
        visible = WelfareProject.objects.restrict(self.admin, Action.VIEW)
        expected = set(
            WelfareFilterSet({"year": "2027"}, visible, user=self.admin)
            .checked()
            .values_list("pk", flat=True)
        )
        self.assertEqual(self.ids("/programmes/welfare", year="2027"), expected)
        self.assertEqual(expected, {self.east.welfare.pk})
        members = MemberUnit.objects.restrict(self.admin, Action.VIEW)
        expected = set(
            MemberFilterSet({"q": "旧"}, members, user=self.admin).checked().values_list("pk", flat=True)
        )
        self.assertEqual(self.ids("/programmes/members", q="旧"), expected)
        self.assertEqual(len(expected), 1)
        proposals = Proposal.objects.restrict(self.admin, Action.VIEW).filter(session=self.east.session)
        expected = set(
            ProposalFilterSet({"status": "assigned"}, proposals, user=self.admin)
            .checked()
            .values_list("pk", flat=True)
        )
        path = f"/programmes/sessions/{self.east.session.pk}/proposals"
        self.assertEqual(self.ids(path, status="assigned"), expected)
        self.assertEqual(self.ids(path, status="rated"), set())

    def test_another_streets_code_is_refused_by_name(self) -> None:
        for path in ("/programmes/projects", "/programmes/welfare"):
            with self.subTest(path=path):
                answer = self.api.get(path, street=self.w.west.street.code)
                self.assertEqual(answer.status_code, 400)
                self.assertIn("street", answer.json()["error"]["fields"])
