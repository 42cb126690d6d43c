"""The root-cause finders (insights.analysis): recurrences and rises under the street's own
thresholds, counts equal to the lists their links open (a category counts its branch, as the
filter does), a fixed number of queries, other streets' cases never counted, topic hotspots
naming exactly their cases, and the case filter's `ids` parameter they rely on."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts import tokens
from civicgrid.cases.errors import InvalidInput
from civicgrid.cases.filters import filter_cases
from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import make_case
from civicgrid.core.choices import Action, Role
from civicgrid.insights import analysis
from civicgrid.insights.choices import HotspotKind
from civicgrid.insights.hotspots import Hotspot, hotspot_cases
from civicgrid.insights.models import TopicRun
from civicgrid.profiles.actions import save_profile
from civicgrid.testing.factories import build_world

NOW = datetime(2026, 3, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DAY = NOW.date()


def case(world: Any, category: str, days_ago: int, grid: int = 0, street: str = "east") -> Case:
    return make_case(
        world,
        street=street,
        grid=grid,
        category=category,
        received_at=NOW - timedelta(days=days_ago, hours=1),
    )


def by_params(found: list[Hotspot], **params: str) -> Hotspot | None:
    return next((h for h in found if all(h.params.get(k) == v for k, v in params.items())), None)


@time_machine.travel(NOW, tick=False)
class AnalysisTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        w = cls.world = build_world()
        cls.street = w.east.street
        cls.grids = w.east.grids
        # Noise in grid 0, four different weeks of the last eight; one case filed under the
        # class E21 (its branch holds E2105) five weeks back.
        for days in (0, 8, 15, 22):
            case(w, "E2105", days)
        case(w, "E21", 30)
        # Waste sorting in grid 1: two weeks only.
        case(w, "E2106", 1, grid=1)
        case(w, "E2106", 9, grid=1)
        # E-bike charging in grid 2: five cases this week against one the week before.
        for days in (1, 2, 3, 4, 5):
            case(w, "E2103", days, grid=2)
        case(w, "E2103", 9, grid=2)
        # The same in the west street: never part of the east's figures.
        for days in (0, 1, 2, 3, 4, 5, 8, 15, 22):
            case(w, "E2103", days, street="west")
        cls.desk = w.user("east", Role.DISPATCHER)
        cls.west = w.user("west", Role.DISPATCHER)
        cls.admin = w.user("east", Role.ADMIN)

    def assert_counts_match(self, found: list[Hotspot], user: Any = None) -> None:
        """Each count is its list: the filter's cases in the hotspot's period, and the workbench
        page its link opens."""
        user = user or self.desk
        self.client.force_login(user)
        for hotspot in found:
            listed = hotspot_cases(user, hotspot.params, hotspot.date_from, hotspot.date_to).count()
            self.assertEqual(hotspot.count, listed, hotspot)
            response = self.client.get(hotspot.cases_link())
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.context["page"].paginator.count, hotspot.count, hotspot)

    def test_recurrences(self) -> None:
        found = analysis.recurrences(self.desk, self.street)
        noise = by_params(found, category="E2105", grid=self.grids[0].code)
        assert noise is not None
        self.assertEqual((noise.kind, noise.count), (HotspotKind.RECURRENCE, 4))
        self.assertEqual(noise.detail, "8 周中 4 周出现")
        self.assertEqual(noise.date_from, DAY - timedelta(days=55))
        # The class counts its branch: its own case and the four noise cases, in five weeks.
        branch = by_params(found, category="E21", grid=self.grids[0].code)
        assert branch is not None
        self.assertEqual((branch.count, branch.detail), (5, "8 周中 5 周出现"))
        self.assertIsNone(by_params(found, category="E2106"))  # two weeks: under the threshold
        self.assertEqual(found[0], branch)  # most weeks first
        self.assert_counts_match(found)

    def test_recurrence_thresholds_are_the_streets(self) -> None:
        save_profile(self.street, self.admin, {"insights.recurrence_min_weeks": 2})
        found = analysis.recurrences(self.desk, self.street)
        sorting = by_params(found, category="E2106", grid=self.grids[1].code)
        assert sorting is not None
        self.assertEqual((sorting.count, sorting.detail), (2, "8 周中 2 周出现"))
        save_profile(
            self.street, self.admin, {"insights.recurrence_weeks": 3, "insights.recurrence_min_weeks": 3}
        )
        found = analysis.recurrences(self.desk, self.street)
        # 0, 8 and 15 days ago; 22 is outside three weeks, and so is the one case filed under E21.
        self.assertEqual([(h.params["category"], h.count) for h in found], [("E2105", 3)])
        self.assert_counts_match(found)

    def test_rises(self) -> None:
        found = analysis.rises(self.desk, self.street)
        self.assertEqual([h.params for h in found], [{"street": self.street.code, "category": "E2103"}])
        rise = found[0]
        self.assertEqual((rise.kind, rise.count, rise.previous), (HotspotKind.RISE, 5, 1))
        self.assertEqual(rise.detail, "上周 1 件，本周 5 件，上升 400%")
        self.assertEqual((rise.date_from, rise.date_to), (DAY - timedelta(days=6), DAY))
        self.assert_counts_match(found)
        # `previous` is the list of the week before.
        before = hotspot_cases(self.desk, rise.params, DAY - timedelta(days=13), DAY - timedelta(days=7))
        self.assertEqual(before.count(), rise.previous)

    def test_rise_thresholds_are_the_streets(self) -> None:
        save_profile(self.street, self.admin, {"insights.rise_min_cases": 6})
        self.assertEqual(analysis.rises(self.desk, self.street), [])
        save_profile(self.street, self.admin, {"insights.rise_min_cases": 1, "insights.rise_percent": 500})
        self.assertEqual(analysis.rises(self.desk, self.street), [])  # 400 % is not enough now
        save_profile(self.street, self.admin, {"insights.rise_min_cases": 1, "insights.rise_percent": 100})
        found = analysis.rises(self.desk, self.street)
        # E2106: one this week, one before (0 %) stays out; E21 holds every community case.
        self.assertEqual({h.params["category"] for h in found}, {"E2103"})
        self.assert_counts_match(found)

    def test_a_fixed_number_of_queries(self) -> None:
        def queries(finder: Any) -> int:
            with CaptureQueriesContext(connection) as ctx:
                finder(self.desk, self.street)
            return len(ctx.captured_queries)

        finders = (analysis.recurrences, analysis.rises, analysis.repeated_addresses)
        for finder in finders:  # the street's profile is cached after the first read
            finder(self.desk, self.street)
        before = {f: queries(f) for f in finders}
        for grid in (1, 2, 3):
            for days in (0, 8, 15):
                case(self.world, "E2111", days, grid=grid)
        for days in (1, 2, 3, 4, 5, 6):
            case(self.world, "E2112", days, grid=3)
        self.assertGreater(len(analysis.recurrences(self.desk, self.street)), 3)
        self.assertEqual(len(analysis.rises(self.desk, self.street)), 2)
        after = {f: queries(f) for f in before}
        self.assertEqual(after, before)

    def test_scope(self) -> None:
        """A west dispatcher's hotspots are the west's; the east street is not theirs to name."""
        west = self.world.west.street
        found = analysis.rises(self.west, west)
        self.assertEqual([(h.params["street"], h.count) for h in found], [(west.code, 6)])
        self.assert_counts_match(found, self.west)
        recurring = analysis.recurrences(self.west, west)
        self.assertTrue(recurring)
        self.assertTrue(all(h.params["street"] == west.code for h in recurring))
        with self.assertRaises(InvalidInput):
            analysis.hotspots(self.west, self.street)
        for hotspot in analysis.hotspots(self.desk, self.street):
            self.assertEqual(hotspot.params["street"], self.street.code)

    def test_topic_hotspots(self) -> None:
        noise = list(Case.objects.filter(street=self.street, category__code="E2105").order_by("-received_at"))
        charging = list(
            Case.objects.filter(street=self.street, category__code="E2103").order_by("received_at")
        )
        west_case = Case.objects.filter(street=self.world.west.street).first()
        assert west_case is not None
        run = TopicRun.objects.create(
            street=self.street,
            date_from=DAY - timedelta(days=29),
            date_to=DAY,
            status="done",
            cases=10,
            created_at=NOW,
            clusters=[
                {
                    "terms": ["电动车", "充电", "飞线"],
                    "size": len(charging),
                    "case_ids": [c.pk for c in charging],
                    "examples": [{"id": c.pk, "number": c.number, "text": "飞线充电"} for c in charging[:5]],
                },
                {
                    "terms": ["噪音", "夜间"],
                    "size": 5,
                    # A case of another street in the ids (a stale run) is never named nor counted.
                    "case_ids": [c.pk for c in noise] + [west_case.pk],
                    "examples": [{"id": west_case.pk, "number": west_case.number, "text": "x"}],
                },
            ],
        )
        pairs = analysis.topics_of(self.desk, run)
        found = [h for h, _c in pairs]
        self.assertEqual(
            found, analysis.topic_hotspots(self.desk, analysis.latest_topics(self.desk, self.street))
        )
        self.assertEqual(
            [(h.kind, h.label, h.count) for h in found],
            [("topic", "电动车、充电、飞线", 6), ("topic", "噪音、夜间", 4)],
        )
        self.assertEqual(found[0].params["ids"], ",".join(c.number for c in charging))
        self.assertNotIn(west_case.number, found[1].params["ids"])
        self.assertEqual(pairs[1][1]["examples"], [])
        self.assertEqual(found[1].detail, "话题共 5 件，列出最贴近话题的 4 件")
        self.assert_counts_match(found)
        self.assertIn(found[0], analysis.hotspots(self.desk, self.street))
        # Another street's reader sees no east run at all.
        self.assertIsNone(analysis.latest_topics(self.west, self.street))

    def test_ids_filter(self) -> None:
        cases = Case.objects.restrict(self.desk, Action.VIEW)
        numbers = list(cases.order_by("id").values_list("number", flat=True)[:3])
        found = filter_cases(cases, {"ids": f" {numbers[0]}, {numbers[2]},,"}, user=self.desk)
        self.assertEqual(sorted(found.values_list("number", flat=True)), sorted([numbers[0], numbers[2]]))
        # Another street's number selects nothing for the east reader.
        west = Case.objects.filter(street=self.world.west.street).values_list("number", flat=True).first()
        self.assertEqual(filter_cases(cases, {"ids": west}, user=self.desk).count(), 0)
        with self.assertRaises(InvalidInput) as caught:
            filter_cases(cases, {"ids": ",".join(f"X-{i}" for i in range(501))}, user=self.desk)
        self.assertEqual(caught.exception.fields, {"ids": "too_many"})
        # The API's twin.
        key = tokens.issue(self.desk, scopes=["read"], rate_limit=0).key
        headers = {"Authorization": f"Bearer {key}"}
        response = self.client.get("/api/v1/cases", {"ids": numbers[1]}, headers=headers)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual([c["number"] for c in response.json()["results"]], [numbers[1]])
        too_many = self.client.get("/api/v1/cases", {"ids": ",".join(map(str, range(501)))}, headers=headers)
        self.assertEqual(too_many.status_code, 400)
        self.assertEqual(too_many.json()["error"]["fields"], {"ids": "too_many"})
