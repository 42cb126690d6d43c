"""The dashboard panel "实事项目进度": through the dashboard page and the panel's own URL and
the dashboard API — counts, mean progress, projects behind schedule, overdue milestones, none
of another street's."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.programmes.models import Project
from civicgrid.testing.api import ApiClient
from civicgrid.testing.factories import build_world
from civicgrid.testing.programmes import build_programmes

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 7, 15, 9, 0, tzinfo=SHANGHAI)


@time_machine.travel(NOW, tick=False)
class PanelTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(NOW, tick=False):
            cls.made = build_programmes(cls.world.east, mark="东")
            build_programmes(cls.world.west, mark="西")
        # The east parent: 40 % in mid-July of a whole-year project is behind schedule.
        Project.objects.filter(pk=cls.made.parent.pk).update(starts_on=date(2027, 1, 1), progress=Decimal(40))

    def test_the_page_and_the_panel(self) -> None:
        self.client.force_login(self.world.east.users[Role.LEADER])
        self.assertContains(
            self.client.get(reverse("insights:dashboard")), 'data-panel="programmes_projects"'
        )
        body = self.client.get(reverse("insights:panel", args=["programmes_projects"])).content.decode()
        self.assertIn("2027 年实事项目 <strong>1</strong> 项", body)
        self.assertIn("平均进度 <strong>40%</strong>", body)
        self.assertIn(self.made.parent.title, body)
        self.assertIn("逾期节点 <strong>1</strong> 个", body)
        self.assertIn(reverse("programmes:projects") + "?year=2027", body)
        self.assertNotIn("西", body.replace("西城", ""))

    def test_the_programmes_panels_stay_off_the_wall(self) -> None:
        self.client.force_login(self.world.east.users[Role.LEADER])
        wall = self.client.get(reverse("insights:wall")).content.decode()
        self.assertIn('data-panel="rates"', wall)
        for name in ("programmes_projects", "programmes_welfare", "programmes_proposals"):
            self.assertNotIn(f'data-panel="{name}"', wall)

    def test_the_api(self) -> None:
        data = ApiClient(self.client, self.world.east.users[Role.ADMIN]).get("/insights/dashboard").json()
        panel = data["panels"]["programmes_projects"]
        self.assertEqual((panel["projects"], panel["mean"], panel["behind_count"]), (1, 40, 1))
        self.assertEqual(panel["overdue_milestones"], 1)
