"""The dashboard panel "社区活动": the month's and year's held activities of the reader's streets,
the attendance rate and the figures by audience — on the page, as a fragment and in the API;
another street's and unfinished activities are not counted."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.community.choices import ActivityStatus
from civicgrid.community.models import Activity, SignUp
from civicgrid.core.choices import Role
from civicgrid.testing.api import ApiClient
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2027, 3, 10, 14, 0, tzinfo=SHANGHAI)
NOW = AT + timedelta(days=5)


class PanelTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        east = build_community(cls.world.east, at=AT, mark="东")
        build_community(cls.world.west, at=AT, mark="西")
        Activity.objects.filter(pk=east.activity.pk).update(
            status=ActivityStatus.DONE, walk_ins=2, attendance=3
        )
        SignUp.objects.filter(pk=east.phone_sign_up.pk).update(checked_in_at=AT)
        cls.leader = cls.world.east.users[Role.LEADER]

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def test_the_panel_on_the_page_and_as_a_fragment(self) -> None:
        self.client.force_login(self.leader)
        page = self.client.get(reverse("insights:dashboard"), {"period": "month"})
        self.assertContains(page, 'data-panel="community_activities"')
        fragment = self.client.get(
            reverse("insights:panel", args=["community_activities"]), {"period": "month"}
        )
        self.assertContains(fragment, "3 月举办 <strong>1</strong> 场")
        self.assertContains(fragment, "签到率 50%")
        self.assertContains(fragment, "老年人")

    def test_the_panel_in_the_api(self) -> None:
        body = ApiClient(self.client, self.leader).get("/insights/dashboard", period="month").json()
        panel = body["panels"]["community_activities"]
        self.assertEqual((panel["held_month"], panel["held_year"], panel["attendance_year"]), (1, 1, 3))
        self.assertEqual([(a["label"], a["held"]) for a in panel["by_audience"]], [("老年人", 1)])
        # The figures page it links to counts the same activities.
        self.client.force_login(self.leader)
        figures = self.client.get(panel["url"]).context["figures"]
        self.assertEqual(figures.total.held, panel["held_year"])
