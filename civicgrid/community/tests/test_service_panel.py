"""The dashboard panel "服务中心": the queue now, today's and this month's waits against the
target, 上门办 on time this month — on the dashboard page, as its fragment and in the API;
another street's queue is not counted."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.community.actions.frames import APPOINTMENT_FRAME
from civicgrid.community.actions.service import walk_in
from civicgrid.core.choices import Role
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 10, 15, 10, 0, tzinfo=SHANGHAI)


class PanelTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        east = build_community(cls.world.east, at=NOW - timedelta(days=30), mark="甲")
        west = build_community(cls.world.west, at=NOW - timedelta(days=30), mark="乙")
        admin = cls.world.east.users[Role.ADMIN]
        with time_machine.travel(NOW - timedelta(minutes=30), tick=False):
            called = walk_in(admin, east.item, name="甲一")
            walk_in(admin, east.item, name="甲二")
            walk_in(cls.world.west.users[Role.ADMIN], west.item, name="乙一")
        with time_machine.travel(NOW - timedelta(minutes=6), tick=False):
            APPOINTMENT_FRAME.run(called.pk, "call", admin)
        cls.leader = cls.world.east.users[Role.LEADER]

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def test_the_panel_on_the_page_and_as_a_fragment(self) -> None:
        self.client.force_login(self.leader)
        page = self.client.get(reverse("insights:dashboard")).content.decode()
        self.assertIn("服务中心", page)
        fragment = self.client.get(reverse("insights:panel", args=["community_service"])).content.decode()
        self.assertIn("当前排队 <strong>1</strong> 人", fragment)
        self.assertIn("平均 24.0", fragment)
        self.assertIn("等候目标 20 分钟", fragment)
