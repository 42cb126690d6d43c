"""The demo of the operations dashboard and the root-cause analysis (demo/insights.py), as checks
the demo test class with cases runs after its one load_demo (test_demo_cases.DemoCasesTests: a
tenth of the cases and no registry); every date relative to the load day (make test-future): the
stories, the analysis finding them, the plans and their before/after counts, the hot-topic runs
and the reports."""

import datetime as dt
from typing import Any

from django.db.models import Sum

from civicgrid.accounts.models import User
from civicgrid.cases.models import Case
from civicgrid.core import clock
from civicgrid.core.models import Event
from civicgrid.demo.builder import build_plan
from civicgrid.demo.cases import DEMO_SOURCE, due_from_db, street_infos
from civicgrid.demo.insights import (
    PLAN_DONE_AFTER,
    PLAN_STARTED,
    RISE,
    load_insights,
    places,
    plan_stories,
)
from civicgrid.geo.models import Area, Building
from civicgrid.insights import analysis
from civicgrid.insights.choices import PlanStatus, ReportKind, TopicRunStatus
from civicgrid.insights.hotspots import hotspot_cases, weekly_counts
from civicgrid.insights.models import DayRollup, GovernancePlan, Report, TopicRun


class InsightsDemoChecks:
    load_day: dt.date
    output: str
    lujiazui: Area
    lujiazui_leader: User
    lujiazui_info: Any
    lujiazui_places: Any

    @classmethod
    def set_up_demo_checks(cls) -> None:
        cls.lujiazui = Area.objects.get(code="310115005")  # 陆家嘴街道
        cls.lujiazui_leader = User.objects.get(username="lujiazui-leader")
        cls.lujiazui_info = next(i for i in street_infos(build_plan()) if i.spec.key == "lujiazui")
        cls.lujiazui_places = places(cls.lujiazui_info)

    def building(self, role: str) -> Building:
        return Building.objects.get(street=self.lujiazui, address=self.lujiazui_places.buildings[role][0])

    def ago(self, days: int) -> dt.date:
        return self.load_day - dt.timedelta(days=days)

    # --- the stories, found by the analysis ------------------------------------------------

    def test_stories_written_like_the_year_s_orders_and_said_in_the_output(self):
        for info in street_infos(build_plan()):
            prefix = f"demo-{info.spec.key}-src-"
            stories = Case.objects.filter(source=DEMO_SOURCE, external_id__startswith=prefix)
            assert stories.count() == len(plan_stories(info, due_from_db(), self.load_day)) > 50
            assert not stories.filter(received_at__date__gte=self.load_day).exists()
            for case in stories.filter(street__code=info.code).order_by("?")[:40]:
                assert case.address in case.description and "测试" not in case.description
                assert case.grid is not None and case.building is not None
        assert "源头分析演示：新增问题点工单" in self.output

    def test_the_analysis_finds_the_repeated_addresses_first(self):
        found = analysis.repeated_addresses(self.lujiazui_leader, self.lujiazui)
        assert len(found) >= 2
        hot = {str(self.building(role).pk) for role in ("hot1", "hot2", "hot3")}
        top = {h.params.get("building") for h in found[:5]}
        assert hot <= top
        for spot in found[:3]:
            assert spot.count >= 7
            # The count is the list its link opens.
            listed = hotspot_cases(self.lujiazui_leader, spot.params, spot.date_from, spot.date_to)
            assert listed.count() == spot.count

    def test_greenery_recurs_in_one_grid_6_of_the_last_8_weeks(self):
        grid = self.lujiazui_places.recurrence[0][1]
        params = {"street": self.lujiazui.code, "grid": grid, "category": "E0106"}
        windows = [(self.ago(7 * k + 7), self.ago(7 * k + 1)) for k in range(8)]
        weeks = [hotspot_cases(self.lujiazui_leader, params, *window).count() for window in windows]
        assert sum(1 for n in weeks if n) >= 6, weeks
        recurrences = getattr(analysis, "recurrences", None)
        if recurrences is not None:  # the rootcauses part's finder, once it is in
            found = recurrences(self.lujiazui_leader, self.lujiazui)
            assert any(h.params.get("grid") == grid and h.params.get("category") == "E0106" for h in found)

    def test_parking_rises_sharply_this_week(self):
        params = {"street": self.lujiazui.code, "category": RISE.theme.category}
        this_week = hotspot_cases(self.lujiazui_leader, params, self.ago(6), self.load_day).count()
        last_week = hotspot_cases(self.lujiazui_leader, params, self.ago(13), self.ago(7)).count()
        assert this_week >= len(RISE.days_ago) and this_week >= 2 * max(last_week, 1)
        rises = getattr(analysis, "rises", None)
        if rises is not None:  # the rootcauses part's finder, once it is in
            found = rises(self.lujiazui_leader, self.lujiazui)
            assert any(h.params.get("category") == RISE.theme.category for h in found)

    def test_the_planned_building_s_cases_fall_after_the_plan_started(self):
        start = self.ago(PLAN_STARTED["planned"])
        params = {"street": self.lujiazui.code, "building": str(self.building("planned").pk)}
        weeks = weekly_counts(self.lujiazui_leader, params, start - dt.timedelta(weeks=8), 17)
        before = sum(n for monday, n in weeks if monday + dt.timedelta(days=6) < start)
        after = sum(n for monday, n in weeks if monday > start)
        assert before >= 12 and after <= before // 3, weeks

    def test_day_rollups_count_the_intake_of_the_last_30_days(self):
        rows = DayRollup.objects.filter(street=self.lujiazui, day__range=(self.ago(30), self.ago(1)))
        assert rows.values("day").distinct().count() >= 20
        received = Case.objects.filter(
            street=self.lujiazui, received_at__date__range=(self.ago(30), self.ago(1))
        )
        assert rows.aggregate(n=Sum("received"))["n"] == received.count()

    def test_a_second_load_adds_nothing(self):
        again = load_insights(build_plan())
        assert (again.cases, again.plans, again.topic_runs) == (0, 0, 0)

    def test_lujiazui_plans_back_dated_and_reported(self):
        plans = GovernancePlan.objects.filter(street=self.lujiazui)
        assert plans.count() == 2
        active = plans.get(status=PlanStatus.ACTIVE)
        assert active.started_on == self.ago(PLAN_STARTED["planned"])
        assert active.hotspot_params["building"] == str(self.building("planned").pk)
        assert active.cases.exists() and active.deadline > self.load_day
        done = plans.get(status=PlanStatus.COMPLETED)
        assert done.completed_on == done.started_on + dt.timedelta(days=PLAN_DONE_AFTER)
        # Every step dated on its own day, from the start on, none in the future.
        steps = Event.objects.filter(object_type="governanceplan", object_id=active.pk).order_by("at")
        assert steps.count() >= 4
        assert steps[0].at.date() == active.started_on and steps.last().at <= clock.now()
        # The weekly counts of the plan's chart: fewer after the start than before.
        start = active.started_on
        weeks = weekly_counts(self.lujiazui_leader, active.hotspot_params, start - dt.timedelta(weeks=8), 17)
        before = sum(n for monday, n in weeks if monday + dt.timedelta(days=6) < start)
        after = sum(n for monday, n in weeks if monday > start)
        assert after < before
        for other in Area.objects.filter(kind=self.lujiazui.kind).exclude(pk=self.lujiazui.pk):
            assert GovernancePlan.objects.filter(street=other).count() == 1

    def test_a_finished_topic_run_per_street(self):
        for street in Area.objects.filter(kind=self.lujiazui.kind):
            run = TopicRun.objects.filter(street=street).latest("created_at")
            assert run.status == TopicRunStatus.DONE and run.cases > 0
            assert len(run.clusters) >= 6

    def test_weekly_and_monthly_reports_per_street(self):
        for street in Area.objects.filter(kind=self.lujiazui.kind):
            kinds = set(Report.objects.filter(street=street).values_list("kind", flat=True))
            assert kinds == set(ReportKind.values)
            assert not Report.objects.filter(street=street, period_end__gte=self.load_day).exists()
