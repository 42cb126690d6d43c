"""The dashboard panel "公益认领": needed / claimed / delivered per ask kind of the year's
published welfare projects in the reader's streets, and the claims awaiting confirmation — on
the dashboard page, as its fragment and in the dashboard API; a draft's asks and another
street's are not counted."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.programmes.actions.welfare import create_welfare
from civicgrid.testing.api import ApiClient
from civicgrid.testing.factories import build_world
from civicgrid.testing.programmes import build_programmes

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 10, 15, 10, 0, tzinfo=SHANGHAI)


class PanelTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_programmes(cls.world.east, mark="甲")
        build_programmes(cls.world.west, mark="乙")
        cls.east.ask.delivered = Decimal(4)
        cls.east.ask.save()
        cls.leader = cls.world.east.users[Role.LEADER]
        with time_machine.travel(NOW, tick=False):
            create_welfare(  # a draft: not yet asking anyone
                cls.world.east.users[Role.ADMIN],
                street=cls.world.east.street,
                year=2027,
                title="草拟项目",
                need="n",
                asks=[{"kind": "volunteers", "item": "志愿者", "unit": "人次", "quantity": 500}],
            )

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def test_the_panel_on_the_page_and_as_a_fragment(self) -> None:
        self.client.force_login(self.leader)
        page = self.client.get(reverse("insights:dashboard"), {"period": "month"})
        self.assertContains(page, 'data-panel="programmes_welfare"')
        fragment = self.client.get(
            reverse("insights:panel", args=["programmes_welfare"]), {"period": "month"}
        )
        self.assertContains(fragment, "认领 10 / 需 30 · 交付 4")
        self.assertContains(fragment, "待确认认领 <strong>1</strong> 件")
        self.assertContains(fragment, "width: 33%")
        self.assertContains(fragment, reverse("programmes:welfare_board") + "?year=2027")

    def test_the_panel_in_the_api(self) -> None:
        body = ApiClient(self.client, self.leader).get("/insights/dashboard", period="month").json()
        panel = body["panels"]["programmes_welfare"]
        self.assertEqual(panel["year"], 2027)
        self.assertEqual(panel["pending"], 1)
        self.assertEqual(
            [(r["kind"], r["unit"], r["needed"], r["claimed"], r["delivered"]) for r in panel["rows"]],
            [("volunteers", "人次", 30.0, 10.0, 4.0)],
        )
        last_year = ApiClient(self.client, self.leader).get(
            "/insights/dashboard", period="custom", date_from="2026-01-01", date_to="2026-12-31"
        )
        self.assertEqual(last_year.json()["panels"]["programmes_welfare"]["rows"], [])
