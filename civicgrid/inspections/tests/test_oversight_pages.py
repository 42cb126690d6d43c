"""The oversight pages: the app's home, the offenders, the map and its GeoJSON, the export
form; each role allowed sees them (the permission matrix), the others get a 404; the GeoJSON
is scoped and carries risk and open orders; the home panel; a phone's width."""

import html
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.http import QueryDict
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.core.models import Job
from civicgrid.inspections.actions.orders import issue_order
from civicgrid.inspections.choices import Escalation
from civicgrid.inspections.models import Order, Place, Task
from civicgrid.inspections.order_filters import OrderFilterSet
from civicgrid.inspections.task_filters import TaskFilterSet
from civicgrid.testing.browser import BROWSER_MARKS
from civicgrid.testing.factories import PASSWORD, build_world
from civicgrid.testing.inspections import build_inspections
from civicgrid.testing.permissions import assert_matrix

NOW = datetime(2026, 3, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
VIEWERS = (Role.ADMIN, Role.LEADER, Role.GRID_WORKER, Role.CADRE, Role.HANDLER, Role.DISPATCHER)
READ_PAGES = ("inspections:index", "inspections:offenders", "inspections:map", "inspections:places_geojson")


@time_machine.travel(NOW, tick=False)
class OversightPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        Order.objects.filter(pk=cls.east.order.pk).update(is_overdue=True, escalation=Escalation.ESCALATED)
        cls.users = cls.world.east.users

    def test_read_pages_for_every_viewer_404_for_residents(self) -> None:
        expected = {**dict.fromkeys(VIEWERS, 200), Role.RESIDENT: 404}
        for name in READ_PAGES:
            with self.subTest(name=name):
                assert_matrix(self.client, reverse(name), expected, self.users)

    def test_export_for_the_office_only(self) -> None:
        expected = {
            Role.ADMIN: 200,
            Role.LEADER: 200,
            Role.GRID_WORKER: 404,
            Role.DISPATCHER: 404,
            Role.RESIDENT: 404,
        }
        assert_matrix(self.client, reverse("inspections:export"), expected, self.users)

    def test_every_order_count_leads_to_exactly_its_orders(self) -> None:
        """Each count on the home page links into the order list through the list's own filter
        (OrderFilterSet), and the list holds exactly that many orders."""
        second = issue_order(self.users[Role.ADMIN], self.east.petrol, finding="灭火器过期")
        Order.objects.filter(pk=second.pk).update(is_overdue=True, escalation=Escalation.SUPERVISED)
        self.client.force_login(self.users[Role.ADMIN])
        body = self.client.get(reverse("inspections:index")).content.decode()
        orders = reverse("inspections:orders")
        links = re.findall(rf'<a href="{re.escape(orders)}\?([^"]+)">(?:[^<]*?)(\d+)(?:[^<\d]*)</a>', body)
        self.assertGreaterEqual(len(links), 12)
        self.assertIn(("status=open&amp;overdue=true", "2"), links)
        self.assertIn(("status=open&amp;escalation=escalated", "1"), links)
        for query, shown in links:
            with self.subTest(query=query):
                params = QueryDict(html.unescape(query))
                admin = self.users[Role.ADMIN]
                rows = OrderFilterSet(params, Order.objects.restrict(admin, "view"), user=admin)
                self.assertTrue(rows.is_valid(), rows.errors)
                self.assertEqual(rows.qs.count(), int(shown))

    def test_home_panel_tasks_due_this_week_lead_to_exactly_those_tasks(self) -> None:
        admin = self.users[Role.ADMIN]
        Task.objects.filter(pk=self.east.task.pk).update(due_on=NOW.date())
        self.client.force_login(admin)
        body = self.client.get(reverse("home")).content.decode()
        tasks = reverse("inspections:tasks")
        match = re.search(rf'<a href="{re.escape(tasks)}\?due=week">[^<\d]*(\d+)', body)
        assert match is not None, body
        listed = self.client.get(f"{tasks}?due=week")
        rows = TaskFilterSet({"due": "week"}, Task.objects.restrict(admin, "view"), user=admin).checked()
        self.assertEqual(int(match.group(1)), rows.count())
        self.assertGreaterEqual(rows.count(), 1)
        self.assertEqual(listed.content.decode().count('<tr><td><a href="/inspections/tasks/'), rows.count())

    def test_period_filter(self) -> None:
        self.client.force_login(self.users[Role.ADMIN])
        body = self.client.get(reverse("inspections:index"), {"start": "2026-02-01", "end": "2026-02-28"})
        self.assertContains(body, "本期没有执行中的检查计划。")

    def test_geojson_is_scoped_with_risk_and_open_orders(self) -> None:
        self.client.force_login(self.users[Role.ADMIN])
        data = json.loads(self.client.get(reverse("inspections:places_geojson")).content)
        props = {f["properties"]["id"]: f["properties"] for f in data["features"]}
        self.assertEqual(set(props), {p.pk for p in self.east.places.values()})
        shop = props[self.east.shop.pk]
        self.assertEqual((shop["risk"], shop["open_orders"], shop["overdue_orders"]), ("medium", 1, 1))
        self.assertEqual(props[self.east.petrol.pk]["open_orders"], 0)
        self.assertNotIn("13912345678", json.dumps(data))
        # By kind; the grid worker sees the places of the grid; the other street sees none.
        kind = self.client.get(reverse("inspections:places_geojson"), {"kind": "petrol"})
        self.assertEqual(
            [f["properties"]["id"] for f in json.loads(kind.content)["features"]], [self.east.petrol.pk]
        )
        self.client.force_login(self.users[Role.GRID_WORKER])
        data = json.loads(self.client.get(reverse("inspections:places_geojson")).content)
        self.assertEqual(
            {f["properties"]["id"] for f in data["features"]}, {self.east.shop.pk, self.east.flat_place.pk}
        )
        self.client.force_login(self.world.user("west", Role.ADMIN))
        self.assertEqual(
            json.loads(self.client.get(reverse("inspections:places_geojson")).content)["features"], []
        )

    def test_geojson_queries_do_not_grow_with_places(self) -> None:
        self.client.force_login(self.users[Role.ADMIN])
        url = reverse("inspections:places_geojson")
        with CaptureQueriesContext(connection) as before:
            self.client.get(url)
        for i in range(5):
            place = Place.objects.create(
                street=self.world.east.street,
                grid=self.east.shop.grid,
                kind="small",
                name=f"店{i}",
                lon=121.5,
                lat=31.2,
            )
            issue_order(self.users[Role.ADMIN], place, finding="隐患")
        with self.assertNumQueries(len(before)):
            features = json.loads(self.client.get(url).content)["features"]
        self.assertEqual(len(features), 8)

    def test_export_form_starts_a_job(self) -> None:
        self.client.force_login(self.users[Role.LEADER])
        response = self.client.post(reverse("inspections:export"), {"what": "orders", "kind": "small"})
        job = Job.objects.get(kind="inspections.export")
        self.assertRedirects(response, job.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual({k: job.params[k] for k in ("what", "kind")}, {"what": "orders", "kind": "small"})
        self.assertNotIn("status", job.params)

    def test_home_panel_for_the_office(self) -> None:
        self.client.force_login(self.users[Role.LEADER])
        body = self.client.get(reverse("home")).content.decode()
        self.assertIn("data-inspections-panel", body)
        self.assertIn("逾期整改 1 件", body)
        self.client.force_login(self.users[Role.GRID_WORKER])
        self.assertNotIn("data-inspections-panel", self.client.get(reverse("home")).content.decode())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["inspections:index", "inspections:map"])
@BROWSER_MARKS[0]
@BROWSER_MARKS[1]
def test_pages_fit_a_phone(live_server, world, browser_context, name) -> None:
    build_inspections(world.east)
    page = browser_context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", world.east.users[Role.ADMIN].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(live_server.url + reverse("home"))
    page.goto(live_server.url + reverse(name))
    if name == "inspections:map":
        page.wait_for_selector("path.leaflet-interactive")
        assert page.locator("path.leaflet-interactive").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
