"""The plan pages: who may open which (the permission matrix), the list's filters and its
query count, the form prefilled from a hotspot link and its "other" cases, the plan page
(chart data, linked cases, timeline, action forms and their POST) and the Excel export, whose
rows are the list's rows."""

import io
import json
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import time_machine
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.core.choices import JobStatus, Role
from civicgrid.core.models import Job
from civicgrid.insights import plan_jobs
from civicgrid.insights.actions import plans as actions
from civicgrid.insights.choices import PlanStatus
from civicgrid.insights.hotspots import Hotspot
from civicgrid.insights.models import GovernancePlan
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

from .plan_fixtures import NOW, hotspot_params, make_cases, plan_for

ALL_ROLES = (
    Role.ADMIN,
    Role.DISPATCHER,
    Role.LEADER,
    Role.HANDLER,
    Role.GRID_WORKER,
    Role.CADRE,
    Role.RESIDENT,
)


@time_machine.travel(NOW, tick=False)
class PlanPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.cases = make_cases(cls.world)
        cls.plan = plan_for(cls.world)
        cls.desk = cls.world.east.users[Role.DISPATCHER]
        cls.handler = cls.world.east.users[Role.HANDLER]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.tmp = Path(cls.enterClassContext(TemporaryDirectory()))
        cls.enterClassContext(override_settings(MEDIA_ROOT=str(cls.tmp / "media")))

    def test_permission_matrix(self) -> None:
        users = self.world.east.users
        viewers = {Role.ADMIN: 200, Role.DISPATCHER: 200, Role.LEADER: 200, Role.HANDLER: 200}
        others = {Role.GRID_WORKER: 404, Role.CADRE: 404, Role.RESIDENT: 404}
        assert_matrix(self.client, reverse("insights:plans"), {**viewers, **others}, users)
        assert_matrix(self.client, self.plan.get_absolute_url(), {**viewers, **others}, users)
        makers = {Role.ADMIN: 200, Role.DISPATCHER: 200, Role.LEADER: 200, Role.HANDLER: 404}
        assert_matrix(self.client, reverse("insights:plan_new"), {**makers, **others}, users)
        west = self.world.west.users
        assert_matrix(self.client, self.plan.get_absolute_url(), dict.fromkeys(ALL_ROLES, 404), west)

    def test_action_matrix(self) -> None:
        """Which role may take which step on the page (the machine's table, by capability)."""
        report = reverse("insights:plan_act", args=[self.plan.pk, "report"])
        complete = reverse("insights:plan_act", args=[self.plan.pk, "complete"])
        expected = {
            Role.DISPATCHER: {"report", "revise", "link", "complete", "cancel"},
            Role.LEADER: {"report", "revise", "link", "complete", "cancel"},
            Role.HANDLER: {"report"},
        }
        for role, allowed in expected.items():
            self.client.force_login(self.world.east.users[role])
            page = self.client.get(self.plan.get_absolute_url())
            self.assertEqual({a for a, _label, _form in page.context["action_forms"]}, allowed, role)
        self.client.force_login(self.handler)
        response = self.client.post(report, {"note": "已约谈商户", "version": 1})
        self.assertRedirects(response, self.plan.get_absolute_url(), fetch_redirect_response=False)
        response = self.client.post(complete, {"result": "x", "version": 2}, follow=True)
        self.assertContains(response, "未能")
        self.plan.refresh_from_db()
        self.assertEqual((self.plan.status, self.plan.version), (PlanStatus.ACTIVE, 2))
        self.client.force_login(self.world.west.users[Role.DISPATCHER])
        self.assertEqual(self.client.post(report, {"note": "x"}).status_code, 404)
        self.client.force_login(self.desk)
        self.assertEqual(
            self.client.post(reverse("insights:plan_act", args=[self.plan.pk, "nope"])).status_code, 404
        )

    def test_list_filters_and_query_count(self) -> None:
        late = plan_for(self.world, title="逾期方案", deadline=NOW.date())
        done = plan_for(self.world, title="已完成方案")
        actions.complete(done.pk, self.desk, result="好转")
        self.client.force_login(self.desk)
        url = reverse("insights:plans")
        with time_machine.travel(NOW + timedelta(days=1), tick=False):
            titles = lambda **q: [p.title for p, _o in self.client.get(url, q).context["plans"]]  # noqa: E731
            self.assertEqual(titles(overdue="true"), [late.title])
            self.assertEqual(titles(status="completed"), [done.title])
            self.assertEqual(len(titles(overdue="false")), 2)
            self.assertEqual(
                len(titles(street=self.world.east.street.code, owner_unit=self.world.east.unit.pk)), 3
            )
            self.assertEqual(titles(street="nowhere"), [])
            bad = self.client.get(url, {"street": "nowhere"})
            self.assertTrue(bad.context["filter"].form.errors["street"])
            for i in range(5):
                plan_for(self.world, title=f"方案{i}")
            with CaptureQueriesContext(connection) as queries:
                page = self.client.get(url)
            self.assertEqual(len(page.context["plans"]), 8)
            few = len(queries)
            plan_for(self.world, title="再一个")
            with CaptureQueriesContext(connection) as queries:
                self.client.get(url)
            self.assertEqual(len(queries), few)  # no query per row
            self.assertLessEqual(few, 14)

    def test_form_from_a_hotspot_link(self) -> None:
        hotspot = Hotspot(kind="recurrence", label="一号网格 · 噪声扰民", params=hotspot_params(self.world))
        self.client.force_login(self.desk)
        page = self.client.get(hotspot.plan_link())
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page.context["hotspot"]["count"], 5)
        self.assertIn("一号网格 · 噪声扰民源头治理", page.content.decode())
        data = {
            "kind": "recurrence",
            "params": json.dumps(hotspot.params),
            "street": self.world.east.street.pk,
            "label": hotspot.label,
            "title": "新方案",
            "measures": "加装隔音",
            "deadline": "2026-07-01",
            "owner_unit": self.world.east.unit.pk,
            "case_numbers": "",
        }
        response = self.client.post(reverse("insights:plan_new"), data)
        plan = GovernancePlan.objects.get(title="新方案")
        self.assertRedirects(response, plan.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(plan.cases.count(), 5)
        tampered = self.client.post(reverse("insights:plan_new"), {**data, "params": '{"evil": 1}'})
        self.assertEqual(tampered.status_code, 200)
        self.assertIn("evil", tampered.content.decode())
        bad = self.client.post(reverse("insights:plan_new"), {**data, "case_numbers": "X-1"})
        self.assertTrue(bad.context["form"].errors["case_numbers"])

    def test_other_kind_chooses_its_cases_on_the_form(self) -> None:
        self.client.force_login(self.desk)
        page = self.client.get(reverse("insights:plan_new"))
        self.assertIsNone(page.context["hotspot"])
        data = {
            "kind": "other",
            "street": self.world.east.street.pk,
            "label": "路灯",
            "title": "路灯方案",
            "measures": "排查",
            "deadline": "2026-07-01",
        }
        empty = self.client.post(reverse("insights:plan_new"), data)
        self.assertTrue(empty.context["form"].errors["category"])
        response = self.client.post(reverse("insights:plan_new"), {**data, "category": "C0101"})
        plan = GovernancePlan.objects.get(title="路灯方案")
        self.assertRedirects(response, plan.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(plan.hotspot_params, {"category": "C0101", "street": self.world.east.street.code})
        self.assertEqual(plan.cases.count(), 1)

    def test_plan_page_shows_chart_cases_and_timeline(self) -> None:
        actions.report(self.plan.pk, self.handler, note="第一次夜查")
        self.client.force_login(self.desk)
        page = self.client.get(self.plan.get_absolute_url())
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        self.assertIn('id="plan-chart-data"', html)
        self.assertIn("insights/plan.js", html)
        self.assertEqual(len(page.context["chart_data"]["weeks"]), 13)
        self.assertEqual([s["label"] for s in page.context["steps"]], ["制定方案", "报告进展"])
        self.assertIn("第一次夜查", html)
        for case in self.cases["hotspot"][1:]:
            self.assertIn(case.number, html)
        # The handler reads its unit's slice of the hotspot (no figures of other units' cases).
        self.client.force_login(self.handler)
        self.assertEqual(self.client.get(self.plan.get_absolute_url()).status_code, 200)

    def export(self, user: Any, **data: str) -> list[tuple[Any, ...]]:
        self.client.force_login(user)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("insights:plans_export"), data)
        job = Job.objects.filter(kind=plan_jobs.EXPORT).latest("id")
        self.assertRedirects(response, job.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(job.status, JobStatus.SUCCEEDED, job.error)
        with job.result_file.open("rb") as fh:
            wb = load_workbook(io.BytesIO(fh.read()), read_only=True)
        return [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]

    def test_export_rows_are_the_lists_rows(self) -> None:
        done = plan_for(self.world, title="已完成方案")
        actions.complete(done.pk, self.desk, result="好转")
        for query in ({}, {"status": "completed"}, {"status": "active", "overdue": "false"}):
            with self.subTest(query):
                self.client.force_login(self.desk)
                listed = [
                    p.title for p, _o in self.client.get(reverse("insights:plans"), query).context["plans"]
                ]
                rows = self.export(self.desk, **query)
                self.assertEqual(rows[0][0], "方案名称")
                self.assertEqual([r[0] for r in rows[1:]], listed)
        self.assertEqual([r[0] for r in self.export(self.handler)[1:]], [self.plan.title, done.title])
        self.client.force_login(self.desk)
        bad = self.client.post(reverse("insights:plans_export"), {"street": "nowhere"})
        self.assertRedirects(bad, reverse("insights:plans"), fetch_redirect_response=False)
        self.assertEqual(self.client.get(reverse("insights:plans_export")).status_code, 405)
