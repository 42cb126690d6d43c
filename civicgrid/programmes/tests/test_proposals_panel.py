"""The dashboard panel 代表提案办理: proposals assigned in the period in the reader's streets,
answered on time / late / overdue, and satisfaction; through the dashboard page, the panel
fragment and the dashboard API."""

from datetime import date, datetime

import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.insights.dashboard.filters import DashboardFilters
from civicgrid.insights.dashboard.panels import PANELS
from civicgrid.programmes.choices import ProposalStatus, Rating
from civicgrid.programmes.models import Proposal
from civicgrid.testing.api import ApiClient
from civicgrid.testing.factories import build_world
from civicgrid.testing.programmes import build_programmes

NOW = datetime(2027, 5, 20, 9, 0)


@time_machine.travel(NOW, tick=False)
class ProposalPanelTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_programmes(cls.w.east, mark="东")
        build_programmes(cls.w.west, mark="西")
        # The builder's proposal: assigned 2027-04-01, deadline 2027-05-01, unanswered (overdue).
        common = {"session": cls.east.session, "street": cls.w.east.street, "body": "b", "category": "other"}
        reps = cls.east.representatives
        for number, answered, rating in (
            (2, date(2027, 4, 20), Rating.SATISFIED),
            (3, date(2027, 5, 5), Rating.UNSATISFIED),
        ):
            Proposal.objects.create(
                **common,
                number=number,
                title=f"提案{number}",
                proposer=reps[1],
                status=ProposalStatus.RATED,
                assigned_unit=cls.w.east.unit,
                assigned_on=date(2027, 4, 2),
                deadline=date(2027, 5, 1),
                answer="已办",
                answered_on=answered,
                rating=rating,
                rated_on=answered,
            )
        # Assigned last year: outside this year's period.
        Proposal.objects.create(
            **common,
            number=4,
            title="旧提案",
            proposer=reps[2],
            status=ProposalStatus.ASSIGNED,
            assigned_office="管理办",
            assigned_on=date(2026, 11, 1),
            deadline=date(2026, 12, 1),
        )

    def test_the_figures(self) -> None:
        data = PANELS["programmes_proposals"].compute(
            DashboardFilters({"period": "year"}, self.w.user("east", Role.LEADER))
        )
        expected = {"assigned": 3, "on_time": 1, "late": 1, "overdue": 1, "pending": 0, "rated": 2}
        self.assertEqual({k: data[k] for k in expected}, expected)
        self.assertEqual((data["on_time_rate"], data["satisfaction_rate"]), (50.0, 50.0))
        west = PANELS["programmes_proposals"].compute(
            DashboardFilters({"period": "year"}, self.w.user("west", Role.LEADER))
        )
        self.assertEqual((west["assigned"], west["overdue"]), (1, 1))
        handler = PANELS["programmes_proposals"].compute(
            DashboardFilters({"period": "year"}, self.w.user("east", Role.HANDLER))
        )
        self.assertEqual(handler["assigned"], 3)  # the unit's own: the office's one is not theirs

    def test_the_page_the_fragment_and_the_api(self) -> None:
        self.client.force_login(self.w.user("east", Role.LEADER))
        page = self.client.get(reverse("insights:dashboard"), {"period": "year"})
        self.assertContains(page, "代表提案办理")
        fragment = self.client.get(
            reverse("insights:panel", args=["programmes_proposals"]), {"period": "year"}
        )
        self.assertContains(fragment, '<span data-figure="overdue">1</span>', html=False)
        self.assertContains(fragment, "50.0%")
        api = ApiClient(self.client, self.w.user("east", Role.LEADER))
        panel = api.get("/insights/dashboard", period="year").json()["panels"]["programmes_proposals"]
        self.assertEqual((panel["assigned"], panel["late"]), (3, 1))
        self.assertEqual(panel["label"], "代表提案办理")
