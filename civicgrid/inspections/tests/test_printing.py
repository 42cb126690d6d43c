"""The printed documents: the 限期整改通知书 and the 检查报告 as PDFs, their Chinese text
extracted with pypdf; a phone typed into the finding and the place's phone printed masked."""

import io

import time_machine
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from civicgrid.core.choices import Role
from civicgrid.inspections.models import Order
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

from .test_orders import NOW


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")


@time_machine.travel(NOW, tick=False)
class PrintingTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        Order.objects.filter(pk=cls.east.order.pk).update(finding="店内电线私拉，店主电话13912345678")

    def setUp(self) -> None:
        self.client.force_login(self.world.user("east", Role.GRID_WORKER))

    def test_notice_text(self) -> None:
        order = self.east.order
        response = self.client.get(reverse("inspections:order_notice", args=[order.number]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        text = text_of(response.content)
        for expected in (
            "限期整改通知书",
            order.number,
            self.east.shop.name,
            "店内电线私拉",
            order.rule.replace(" ", ""),
            "2026-03-13",  # five working days for a serious finding
            "回执",
            "拆除私拉电线",
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, text)
        self.assertNotIn("13912345678", text)
        self.assertIn("139", text)  # masked, not dropped

    def test_report_text(self) -> None:
        inspection = self.east.inspection
        response = self.client.get(reverse("inspections:inspection_report", args=[inspection.pk]))
        self.assertEqual(response.status_code, 200)
        text = text_of(response.content)
        for expected in (
            "检查报告",
            self.east.shop.name,
            "不合格",
            "合格",
            self.east.order.number,
            "店内电线私拉",
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, text)
        self.assertNotIn("13912345678", text)

    def test_another_street_gets_nothing(self) -> None:
        self.client.force_login(self.world.user("west", Role.ADMIN))
        url = reverse("inspections:order_notice", args=[self.east.order.number])
        self.assertEqual(self.client.get(url).status_code, 404)
        report = reverse("inspections:inspection_report", args=[self.east.inspection.pk])
        self.assertEqual(self.client.get(report).status_code, 404)
