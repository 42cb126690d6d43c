"""/api/v1/inspections/inspections: recording (201, then 200 with the same body on a replay
of its key), the list and one record, scoped to the caller."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.inspections import checklists
from civicgrid.inspections.choices import Outcome
from civicgrid.inspections.models import Inspection, Order
from civicgrid.testing.api import ApiClient
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

NOW = datetime(2026, 3, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@time_machine.travel(NOW, tick=False)
class RecordsApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.worker = cls.world.user("east", Role.GRID_WORKER)

    def body(self) -> dict:
        items = list(checklists.current(self.east.shop.street_id, self.east.shop.kind).items.all())
        results = {str(i.pk): {"outcome": Outcome.PASS} for i in items}
        results[str(items[0].pk)] = {"outcome": Outcome.FAIL, "note": "灭火器过期"}
        return {"task": self.east.task.pk, "results": results, "note": "API 检查"}

    def test_first_submit_201_replay_200_same_body(self) -> None:
        api = ApiClient(self.client, self.worker)
        headers = {"Idempotency-Key": "6f1c0f2e-draft"}
        first = api.post("/inspections/inspections", self.body(), headers=headers)
        self.assertEqual(first.status_code, 201, first.content)
        orders = Order.objects.count()
        again = api.post("/inspections/inspections", self.body(), headers=headers)
        self.assertEqual(again.status_code, 200, again.content)
        self.assertEqual(again.json(), first.json())
        self.assertEqual(Inspection.objects.filter(client_key="6f1c0f2e-draft").count(), 1)
        self.assertEqual(Order.objects.count(), orders)
        self.assertEqual(len(first.json()["orders"]), 1)
        self.assertEqual(first.json()["failed"], 1)

    def test_missing_items_are_400(self) -> None:
        body = self.body()
        body["results"].popitem()
        response = ApiClient(self.client, self.worker).post("/inspections/inspections", body)
        self.assertEqual(response.status_code, 400, response.content)

    def test_list_and_detail_scoped(self) -> None:
        pk = self.east.inspection.pk
        mine = ApiClient(self.client, self.worker)
        listed = mine.get("/inspections/inspections")
        self.assertEqual(listed.status_code, 200, listed.content)
        self.assertIn(pk, [r["id"] for r in listed.json()["results"]])
        self.assertEqual(mine.get(f"/inspections/inspections/{pk}").json()["id"], pk)
        west = ApiClient(self.client, self.world.user("west", Role.ADMIN))
        self.assertEqual(west.get(f"/inspections/inspections/{pk}").status_code, 404)
        self.assertEqual(west.get("/inspections/inspections").json()["count"], 0)
