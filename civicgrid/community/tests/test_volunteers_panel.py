"""The dashboard panel "志愿服务": the year's hours by month with the reversals, the top teams
and the active volunteers of the reader's streets, the other street's left out."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.community.actions.frames import VOLUNTEER_FRAME
from civicgrid.community.choices import VolunteerAction
from civicgrid.community.dashboard.volunteers import volunteer_hours
from civicgrid.community.models import HoursEntry
from civicgrid.core.choices import Role
from civicgrid.insights.dashboard.filters import DashboardFilters
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2027, 5, 10, 9, 30, tzinfo=SHANGHAI)


class PanelTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_community(cls.w.east, at=AT, mark="东")
        cls.west = build_community(cls.w.west, at=AT, mark="西")

    def test_hours_by_month_teams_and_active(self) -> None:
        admin, leader = self.w.user("east", Role.ADMIN), self.w.user("east", Role.LEADER)
        with time_machine.travel(AT + timedelta(days=2), tick=False):
            VOLUNTEER_FRAME.run(
                self.east.volunteer.pk,
                VolunteerAction.CONFIRM_HOURS,
                admin,
                {"assignment": self.east.assignment.pk},
            )
            served = HoursEntry.objects.get(assignment=self.east.assignment)
            VOLUNTEER_FRAME.run(
                self.east.volunteer.pk,
                VolunteerAction.REVERSE_HOURS,
                admin,
                {"entry": self.east.entry.pk, "note": "错"},
            )
            data = volunteer_hours(DashboardFilters({"period": "year"}, leader))
            self.client.force_login(leader)
            page = self.client.get(
                reverse("insights:panel", args=["community_volunteers"]), {"period": "year"}
            )
        months = {m["month"]: m["hours"] for m in data["months"]}
        # The builder's 2.5 in April, reversed in April; the post's 3 in May.
        self.assertEqual((months[4], months[5], data["total"]), (0.0, float(served.hours), 3.0))
        self.assertEqual(data["teams"], [{"name": self.east.team.name, "hours": 3.0}])
        self.assertEqual(data["active"], 1)
        self.assertContains(page, self.east.team.name)
        self.assertNotContains(page, self.west.team.name)
        self.assertContains(page, data["url"])
        self.assertEqual(Decimal(str(data["total"])), Decimal("3.0"))
