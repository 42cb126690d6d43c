"""The Excel exports (inspections.jobs): the job run end to end from the export page, the
workbook's rows for places, orders and inspections, the responsible phones masked, the
filters, and only what the job's creator may see."""

import io
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase, override_settings
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.core.choices import JobStatus, Role
from civicgrid.core.errors import Forbidden
from civicgrid.core.models import Job
from civicgrid.inspections import jobs
from civicgrid.inspections.choices import OrderStatus
from civicgrid.inspections.models import Order
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

NOW = datetime(2026, 3, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@time_machine.travel(NOW, tick=False)
class ExportTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.tmp = Path(cls.enterClassContext(TemporaryDirectory()))
        cls.enterClassContext(override_settings(MEDIA_ROOT=str(cls.tmp / "media")))

    def export(self, user: Any, **data: str) -> list[tuple[Any, ...]]:
        self.client.force_login(user)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("inspections:export"), data)
        job = Job.objects.filter(kind=jobs.EXPORT).latest("id")
        self.assertRedirects(response, job.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(job.status, JobStatus.SUCCEEDED, job.error)
        with job.result_file.open("rb") as fh:
            wb = load_workbook(io.BytesIO(fh.read()), read_only=True)
        return [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]

    def test_places_with_masked_phones(self) -> None:
        rows = self.export(self.world.user("east", Role.ADMIN), what="places")
        self.assertEqual(rows[0][:2], ("场所类型", "名称"))
        names = {r[1] for r in rows[1:]}
        self.assertEqual(names, {p.name for p in self.east.places.values()})
        text = repr(rows)
        self.assertNotIn("13912345678", text)
        self.assertNotIn("13800001111", text)
        self.assertIn("139****5678", text)

    def test_orders_with_filters(self) -> None:
        admin = self.world.user("east", Role.ADMIN)
        rows = self.export(admin, what="orders")
        self.assertEqual([r[0] for r in rows[1:]], [self.east.order.number])
        self.assertEqual(rows[1][1], self.east.shop.name)
        self.assertEqual(len(self.export(admin, what="orders", kind="petrol")), 1)  # the header only
        self.assertEqual(len(self.export(admin, what="orders", overdue="on")), 1)
        Order.objects.filter(pk=self.east.order.pk).update(is_overdue=True, status=OrderStatus.REPORTED)
        self.assertEqual(len(self.export(admin, what="orders", overdue="on", status="reported")), 2)
        self.assertEqual(len(self.export(admin, what="orders", start="2026-03-07")), 1)
        self.assertEqual(len(self.export(admin, what="orders", start="2026-03-06", end="2026-03-06")), 2)

    def test_inspections(self) -> None:
        rows = self.export(self.world.user("east", Role.LEADER), what="inspections")
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[1][1], self.east.shop.name)
        self.assertEqual(rows[1][6:9], (self.east.inspection.passed, 1, 0))

    def test_scope_of_the_creator(self) -> None:
        self.assertEqual(self.export(self.world.user("west", Role.ADMIN), what="places")[1:], [])
        # The leader of the east sees the petrol station (the street's unit's), its grid worker not.
        east = {r[1] for r in self.export(self.world.user("east", Role.LEADER), what="places")[1:]}
        self.assertIn(self.east.petrol.name, east)

    def test_only_the_office_may_start_one(self) -> None:
        with self.assertRaises(Forbidden):
            jobs.start_export(self.world.user("east", Role.GRID_WORKER), {"what": "places"})
