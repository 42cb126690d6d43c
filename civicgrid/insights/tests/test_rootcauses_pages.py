"""The 源头分析 page, a topic run's page and the API (insights.views.rootcauses,
insights.api.rootcauses): four sections whose counts link to exactly their cases, the street
selector, who may see what (another street's run is a 404, its code a 400), and the JSON
shapes, including starting a run (202 and the job to follow)."""

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.accounts import tokens
from civicgrid.accounts.models import Membership
from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import make_case
from civicgrid.core.choices import JobStatus, Role
from civicgrid.core.models import Job
from civicgrid.insights import analysis, jobs
from civicgrid.insights.models import TopicRun
from civicgrid.testing.factories import UserFactory, build_world

NOW = datetime(2026, 3, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DAY = NOW.date()


@time_machine.travel(NOW, tick=False)
class RootCausePageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        w = cls.world = build_world()
        building = w.east.buildings[0]
        for days in (0, 1, 2, 3, 4, 8, 15):  # a repeated address, a recurrence and a rise at once
            make_case(
                w, category="E2103", address=building.address, received_at=NOW - timedelta(days=days, hours=1)
            )
        for days in (0, 1, 2, 3, 4):
            make_case(w, street="west", category="E2105", received_at=NOW - timedelta(days=days, hours=1))
        cases = list(Case.objects.filter(street=w.east.street).order_by("id"))
        cls.topic_run = TopicRun.objects.create(
            street=w.east.street,
            date_from=DAY - timedelta(days=29),
            date_to=DAY,
            status="done",
            cases=len(cases),
            created_at=NOW,
            finished_at=NOW,
            clusters=[
                {
                    "terms": ["电动车", "飞线", "充电"],
                    "size": len(cases),
                    "case_ids": [c.pk for c in cases],
                    "examples": [{"id": c.pk, "number": c.number, "text": "楼道飞线充电"} for c in cases[:5]],
                }
            ],
        )
        cls.desk = w.user("east", Role.DISPATCHER)

    def api(self, user: Any, method: str, path: str, body: Any = None, root: str = "/api/v1/insights") -> Any:
        key = tokens.issue(user, scopes=["read", "write"], rate_limit=0).key
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {key}"}}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(self.client, method)(f"{root}{path}", **kwargs)

    def test_page(self) -> None:
        self.client.force_login(self.desk)
        response = self.client.get(reverse("insights:rootcauses"))
        self.assertEqual(response.status_code, 200)
        street = self.world.east.street
        found = analysis.hotspots(self.desk, street, DAY)
        kinds = {h.kind for h in found}
        self.assertEqual(kinds, {"building", "recurrence", "rise", "topic"})
        for title in ("重复地址", "反复发生", "环比上升", "热点话题"):
            self.assertContains(response, title)
        for hotspot in found:
            link = hotspot.cases_link().replace("&", "&amp;")
            self.assertContains(response, f'href="{link}"')
            listed = self.client.get(hotspot.cases_link())
            self.assertEqual(listed.context["page"].paginator.count, hotspot.count, hotspot)
        self.assertContains(response, "电动车 · 飞线 · 充电")
        example = Case.objects.filter(street=street).order_by("id").first()
        assert example is not None
        self.assertContains(response, reverse("cases:case", args=[example.number]))
        self.assertContains(response, reverse("insights:topic", args=[self.topic_run.pk]))
        self.assertContains(response, reverse("insights:topics_run"))
        self.assertNotContains(response, 'name="street" value="900001002"')  # one street: no selector

    def test_scope(self) -> None:
        west = self.world.user("west", Role.DISPATCHER)
        self.client.force_login(west)
        response = self.client.get(reverse("insights:rootcauses"))
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "电动车")
        self.assertNotContains(response, self.world.east.street.code)
        self.assertContains(response, "还没有热点话题分析")
        refused = self.client.get(reverse("insights:rootcauses"), {"street": self.world.east.street.code})
        self.assertContains(refused, "街道编码", status_code=400)
        self.assertNotContains(refused, "电动车", status_code=400)
        self.assertEqual(
            self.client.get(reverse("insights:topic", args=[self.topic_run.pk])).status_code, 404
        )
        self.assertEqual(self.api(west, "get", f"/topics/{self.topic_run.pk}").status_code, 404)
        self.assertEqual(self.api(west, "get", "/topics").status_code, 404)  # the west has no run yet
        answer = self.api(west, "get", f"/hotspots?street={self.world.east.street.code}")
        self.assertEqual((answer.status_code, answer.json()["error"]["fields"]), (400, {"street": "unknown"}))
        # Roles with no use for the analysis: no page.
        for role in (Role.HANDLER, Role.GRID_WORKER, Role.RESIDENT):
            self.client.force_login(self.world.user("east", role))
            self.assertEqual(self.client.get(reverse("insights:rootcauses")).status_code, 404, role)
        self.assertEqual(self.api(self.world.user("east", Role.HANDLER), "get", "/hotspots").status_code, 404)

    def test_street_selector(self) -> None:
        leader = UserFactory(username="both-leader", role=Role.LEADER)
        for street in (self.world.east.street, self.world.west.street):
            Membership.objects.create(user=leader, area=street)
        self.client.force_login(leader)
        response = self.client.get(reverse("insights:rootcauses"))
        self.assertContains(response, f'<option value="{self.world.west.street.code}"')
        west = self.client.get(reverse("insights:rootcauses"), {"street": self.world.west.street.code})
        self.assertEqual(west.context["street"], self.world.west.street)
        self.assertEqual(
            [h.params["street"] for _k, _t, found in west.context["sections"] for h in found],
            [self.world.west.street.code],
        )
        self.assertEqual(self.api(leader, "get", "/hotspots").status_code, 400)  # which street?

    def test_topic_page(self) -> None:
        self.client.force_login(self.world.user("east", Role.LEADER))
        response = self.client.get(reverse("insights:topic", args=[self.topic_run.pk]))
        self.assertContains(response, "电动车 · 飞线 · 充电")
        self.assertContains(response, "已完成")

    def test_api(self) -> None:
        street = self.world.east.street
        hotspots = self.api(self.desk, "get", "/hotspots")
        self.assertEqual(hotspots.status_code, 200, hotspots.content)
        body = hotspots.json()
        self.assertEqual((body["street"]["code"], body["date"]), (street.code, DAY.isoformat()))
        rise = next(h for h in body["hotspots"] if h["kind"] == "rise")
        self.assertEqual(
            set(rise),
            {"kind", "label", "params", "count", "previous", "detail", "date_from", "date_to", "cases_url"},
        )
        self.assertEqual(
            (rise["params"], rise["count"], rise["previous"]),
            ({"street": street.code, "category": "E2103"}, 5, 1),
        )
        self.assertEqual(len(body["hotspots"]), len(analysis.hotspots(self.desk, street, DAY)))
        # The count is the list of GET /cases under the same parameters and period.
        for hotspot in body["hotspots"]:
            query = {
                **hotspot["params"],
                "received_from": hotspot["date_from"],
                "received_to": hotspot["date_to"],
            }
            listed = self.api(self.desk, "get", "/cases?" + urlencode(query), root="/api/v1")
            self.assertEqual(listed.json()["count"], hotspot["count"], hotspot)
        latest = self.api(self.desk, "get", f"/topics?street={street.code}").json()
        self.assertEqual(latest, self.api(self.desk, "get", f"/topics/{self.topic_run.pk}").json())
        self.assertEqual((latest["id"], latest["status"], latest["cases"]), (self.topic_run.pk, "done", 7))
        topic = latest["topics"][0]
        self.assertEqual(
            (topic["terms"], topic["size"], topic["hotspot"]["count"]), (["电动车", "飞线", "充电"], 7, 7)
        )
        self.assertEqual(len(topic["examples"]), 5)

    def test_api_starts_a_run(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            response = self.api(self.desk, "post", "/topics", {"street": self.world.east.street.code})
        self.assertEqual(response.status_code, 202, response.content)
        job = Job.objects.get(kind=jobs.TOPICS)
        self.assertEqual(
            response.json(), {"job_id": job.pk, "job_url": job.get_absolute_url(), "status": "queued"}
        )
        job.refresh_from_db()
        self.assertEqual(job.status, JobStatus.SUCCEEDED, job.error)
        self.assertEqual(self.api(self.desk, "get", "/topics").json()["id"], TopicRun.objects.get(job=job).pk)
        bad = self.api(self.desk, "post", "/topics", {"street": "nowhere", "k": 3})
        self.assertEqual((bad.status_code, bad.json()["error"]["fields"]), (400, {"k": "unknown"}))
        bad = self.api(self.desk, "post", "/topics", {"street": "nowhere"})
        self.assertEqual((bad.status_code, bad.json()["error"]["fields"]), (400, {"street": "unknown"}))
