"""/api/v1/inspections/ places and checklists: scope (404 outside, lists without other
streets), the phone masked, the list filters (the page's PlaceFilterSet), create and
conditional PATCH (409 / 412), checklist revisions with their items and the 409 of a stale
revise, query counts not growing with rows."""

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.inspections.choices import PlaceKind
from civicgrid.inspections.models import Checklist, Place
from civicgrid.testing.api import BASE, ApiClient
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections

NOW = datetime(2026, 3, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
INS = "/inspections"


class Api(ApiClient):
    def patch(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.generic(
            "PATCH",
            BASE + path,
            json.dumps(body),
            content_type="application/json",
            headers=self.headers(headers),
        )


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    body = response.json()["error"]
    if field is not None:
        assert field in body["fields"], body
    return body


@time_machine.travel(NOW, tick=False)
class PlaceApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_inspections(cls.w.east)

    def api(self, role: str = Role.ADMIN, street: str = "east") -> Api:
        return Api(self.client, self.w.user(street, role))

    def ids(self, body: dict[str, Any]) -> set[int]:
        return {r["id"] for r in body["results"]}

    def test_list_and_detail_are_scoped_and_masked(self) -> None:
        shop, petrol = self.east.shop, self.east.petrol
        worker = self.api(Role.GRID_WORKER)
        self.assertEqual(self.ids(ok(worker.get(f"{INS}/places"))), {shop.pk, self.east.flat_place.pk})
        body = ok(worker.get(f"{INS}/places/{shop.pk}"))
        phone = personal.unmasked(shop.responsible_phone)
        self.assertEqual(body["responsible_phone"], shop.responsible_phone.masked)
        self.assertNotEqual(body["responsible_phone"], phone)
        self.assertEqual(body["grid"]["id"], shop.grid_id)
        error(worker.get(f"{INS}/places/{petrol.pk}"), 404)
        west = self.api(Role.ADMIN, "west")
        self.assertEqual(ok(west.get(f"{INS}/places"))["count"], 0)
        error(west.get(f"{INS}/places/{shop.pk}"), 404)
        self.assertEqual(ok(self.api(Role.RESIDENT).get(f"{INS}/places"))["count"], 0)

    def test_filters_match_the_list_page(self) -> None:
        api = self.api()
        self.assertEqual(self.ids(ok(api.get(f"{INS}/places", open_orders="true"))), {self.east.shop.pk})
        self.assertEqual(self.ids(ok(api.get(f"{INS}/places", kind="petrol"))), {self.east.petrol.pk})
        self.assertEqual(self.ids(ok(api.get(f"{INS}/places", q="加油"))), {self.east.petrol.pk})
        self.assertNotIn(self.east.shop.pk, self.ids(ok(api.get(f"{INS}/places", risk="high"))))
        error(api.get(f"{INS}/places", area=self.w.west.grids[0].code), 400, "area")

    def test_list_query_count_does_not_grow_with_rows(self) -> None:
        api = self.api()
        few, _response = api.count_queries(f"{INS}/places")
        building = self.w.east.buildings[0]
        for i in range(10):
            Place.objects.create(
                street=self.w.east.street,
                grid=building.grid,
                building=building,
                kind=PlaceKind.SMALL,
                name=f"加{i}",
            )
        many, response = api.count_queries(f"{INS}/places")
        self.assertEqual(many, few)
        self.assertEqual(response.json()["count"], 13)

    def test_create_and_conditional_patch(self) -> None:
        api = self.api()
        building = self.w.east.buildings[1]
        body = {
            "kind": "charging",
            "name": "充电棚",
            "building": building.pk,
            "responsible_phone": "13912345678",
        }
        place = ok(api.post(f"{INS}/places", body), 201)
        self.assertEqual((place["grid"]["id"], place["responsible_phone"]), (building.grid_id, "139****5678"))
        error(api.post(f"{INS}/places", {**body, "colour": "red"}), 400, "colour")
        error(api.post(f"{INS}/places", {**body, "building": self.w.west.buildings[0].pk}), 400, "building")
        error(api.post(f"{INS}/places", {"kind": "charging", "name": "无处"}), 400, "building")
        # A grid worker sees the buildings of its grid but keeps no places.
        mine = {**body, "building": self.w.east.buildings[0].pk}
        error(self.api(Role.GRID_WORKER).post(f"{INS}/places", mine), 404)
        path = f"{INS}/places/{place['id']}"
        read = api.get(path)
        self.assertEqual(api.get(path, headers={"If-None-Match": read["ETag"]}).status_code, 304)
        changed = ok(
            api.patch(path, {"risk": "high", "responsible_phone": "139****5678"}, {"If-Match": read["ETag"]})
        )
        self.assertEqual((changed["risk"], changed["version"]), ("high", 2))
        # The masked phone sent back kept the number on file.
        self.assertEqual(
            personal.unmasked(Place.objects.get(pk=place["id"]).responsible_phone), "13912345678"
        )
        error(api.patch(path, {"risk": "low"}, {"If-Match": read["ETag"]}), 412)
        error(api.patch(path, {"risk": "low", "version": 1}), 409)
        error(api.patch(path, {"name": None}), 400, "name")
        self.assertEqual(ok(api.patch(path, {"note": None, "version": 2}))["note"], "")
        error(self.api(Role.ADMIN, "west").patch(path, {"risk": "low"}), 404)


@time_machine.travel(NOW, tick=False)
class ChecklistApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_inspections(cls.w.east)
        cls.checklist = cls.east.inspection.checklist

    def test_current_revisions_with_items_and_revise(self) -> None:
        api = Api(self.client, self.w.user("east", Role.ADMIN))
        listing = ok(api.get(f"{INS}/checklists", place_kind="small"))
        self.assertEqual([r["id"] for r in listing["results"]], [self.checklist.pk])
        self.assertEqual(ok(api.get(f"{INS}/checklists", place_kind="petrol"))["count"], 0)
        detail = ok(api.get(f"{INS}/checklists/{self.checklist.pk}"))
        self.assertEqual(len(detail["items"]), self.checklist.items.count())
        body = {"items": [{"code": "N1", "text": "电线规范", "severity": "serious"}], "change_note": "精简"}
        new = ok(api.post(f"{INS}/checklists/{self.checklist.pk}/revise", body), 201)
        self.assertEqual(
            (new["revision"], new["current"], [i["code"] for i in new["items"]]), (2, True, ["N1"])
        )
        old = ok(api.get(f"{INS}/checklists/{self.checklist.pk}"))
        self.assertEqual((old["current"], len(old["items"])), (False, len(detail["items"])))
        error(api.post(f"{INS}/checklists/{self.checklist.pk}/revise", body), 409)  # revised already
        dup = {**body, "items": body["items"] * 2}
        error(api.post(f"{INS}/checklists/{new['id']}/revise", dup), 400, "items.2.code")
        self.assertEqual(ok(api.get(f"{INS}/checklists", place_kind="small"))["results"][0]["id"], new["id"])
        error(Api(self.client, self.w.user("west", Role.ADMIN)).get(f"{INS}/checklists/{new['id']}"), 404)
        leader = Api(self.client, self.w.user("east", Role.LEADER))
        error(leader.post(f"{INS}/checklists/{new['id']}/revise", body), 404)
        self.assertEqual(Checklist.objects.filter(street=self.w.east.street, place_kind="small").count(), 2)
