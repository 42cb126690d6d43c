"""The field pages: plans, tasks, inspection records, the phone task list and the phone form
(a posted draft recorded once however often it is sent), the panels, query counts."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.inspections import checklists
from civicgrid.inspections.choices import Outcome, TaskStatus
from civicgrid.inspections.models import Inspection, Order, Task
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

NOW = datetime(2026, 3, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@time_machine.travel(NOW, tick=False)
class FieldPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.worker = cls.world.user("east", Role.GRID_WORKER)
        cls.admin = cls.world.user("east", Role.ADMIN)

    def form(self, fail_first: bool = True) -> dict[str, str]:
        items = list(checklists.current(self.east.shop.street_id, self.east.shop.kind).items.all())
        data = {f"item_{i.pk}": Outcome.PASS for i in items}
        if fail_first:
            data[f"item_{items[0].pk}"] = Outcome.FAIL
            data[f"note_{items[0].pk}"] = "灭火器过期"
        return data | {"client_key": "page-draft-1", "inspected_at": "2026-03-06T01:30:00Z", "note": "现场"}

    def test_phone_form_records_once(self) -> None:
        self.client.force_login(self.worker)
        url = reverse("inspections:mobile_inspect", args=[self.east.task.pk])
        page = self.client.get(url)
        self.assertContains(page, "data-inspect-draft")
        self.assertContains(page, "已保存草稿，联网后自动提交")
        first = self.client.post(url, self.form())
        inspection = Inspection.objects.get(client_key="page-draft-1")
        self.assertRedirects(first, inspection.get_absolute_url())
        orders = Order.objects.count()
        again = self.client.post(url, self.form())
        self.assertRedirects(again, inspection.get_absolute_url())
        self.assertEqual(Inspection.objects.filter(client_key="page-draft-1").count(), 1)
        self.assertEqual(Order.objects.count(), orders)
        self.assertEqual(Task.objects.get(pk=self.east.task.pk).status, TaskStatus.DONE)
        detail = self.client.get(inspection.get_absolute_url())
        self.assertContains(detail, "灭火器过期")

    def test_phone_form_error_names_missing_items(self) -> None:
        self.client.force_login(self.worker)
        data = self.form()
        data.pop(next(k for k in data if k.startswith("item_")))
        response = self.client.post(
            reverse("inspections:mobile_inspect_place", args=[self.east.shop.pk]), data
        )
        self.assertContains(response, "检查项未答或无效")
        self.assertFalse(Inspection.objects.filter(client_key="page-draft-1").exists())

    def test_mobile_tasks(self) -> None:
        self.client.force_login(self.worker)
        with self.assertNumQueries(9):
            response = self.client.get(reverse("inspections:mobile_tasks"))
        self.assertContains(response, self.east.shop.name)

    def test_office_pages(self) -> None:
        self.client.force_login(self.admin)
        for name, args in (
            ("inspections:plans", []),
            ("inspections:plan", [self.east.plan.pk]),
            ("inspections:plan_new", []),
            ("inspections:tasks", []),
            ("inspections:task", [self.east.task.pk]),
            ("inspections:inspections", []),
            ("inspections:inspection", [self.east.inspection.pk]),
        ):
            with self.subTest(name=name):
                self.assertEqual(self.client.get(reverse(name, args=args)).status_code, 200)
        response = self.client.get(reverse("inspections:tasks"), {"overdue": "on"})
        self.assertNotContains(response, self.east.shop.name)

    def test_plan_new_generates_tasks(self) -> None:
        self.client.force_login(self.admin)
        response = self.client.post(
            reverse("inspections:plan_new"),
            {
                "title": "加油站月查",
                "kind": "recurring",
                "recurrence": "monthly",
                "place_kinds": ["petrol"],
                "starts_on": "2026-03-01",
                "assignee": self.world.user("east", Role.LEADER).pk,
            },
        )
        self.assertEqual(response.status_code, 302, response.content)
        plan_page = self.client.get(response["Location"])
        self.assertContains(plan_page, self.east.petrol.name)

    def test_unannounced_hidden_from_the_places_unit(self) -> None:
        handler = self.world.user("east", Role.HANDLER)
        self.client.force_login(handler)
        self.assertEqual(
            self.client.get(reverse("inspections:task", args=[self.east.secret_task.pk])).status_code, 404
        )
        self.assertEqual(
            self.client.get(reverse("inspections:plan", args=[self.east.secret_plan.pk])).status_code, 404
        )
        self.assertNotContains(self.client.get(reverse("inspections:plans")), self.east.secret_plan.title)

    def test_permission_matrix_for_plan_new(self) -> None:
        url = reverse("inspections:plan_new")
        for role, allowed in (
            (Role.ADMIN, True),
            (Role.LEADER, True),
            (Role.GRID_WORKER, False),
            (Role.CADRE, False),
        ):
            with self.subTest(role=role):
                self.client.force_login(self.world.user("east", role))
                status = self.client.get(url).status_code
                self.assertEqual(status == 200, allowed, status)
                self.assertIn(status, (200, 403, 404))
