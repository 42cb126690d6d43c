"""The places and checklist pages: who opens them (role × street), the list's filters and
bounded query count, the responsible phone masked, the history, the forms (new, edit with a
stale version, checklist revise with a bad row)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.inspections.choices import PlaceKind, RiskLevel
from civicgrid.inspections.models import Checklist, Place
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections
from civicgrid.testing.permissions import assert_matrix

NOW = datetime(2026, 3, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NOBODY = {Role.RESIDENT: 404, "west admin": 404}


@time_machine.travel(NOW, tick=False)
class PlacePageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.users = {**cls.world.east.users, "west admin": cls.world.user("west", Role.ADMIN)}
        cls.checklist = cls.east.inspection.checklist

    def get(self, role: str, url: str, **params: str):  # type: ignore[no-untyped-def]
        self.client.force_login(self.users[role])
        return self.client.get(url, params)

    def test_who_opens_the_pages(self) -> None:
        shop = self.east.shop
        readers = {
            Role.ADMIN: 200,
            Role.LEADER: 200,
            Role.GRID_WORKER: 200,
            Role.CADRE: 200,
            Role.DISPATCHER: 200,
        }
        # The lists: the west admin has its own (its street's, empty of east rows).
        for url in (reverse("inspections:places"), reverse("inspections:checklists")):
            everyone = {**readers, Role.HANDLER: 200, Role.RESIDENT: 404, "west admin": 200}
            assert_matrix(self.client, url, everyone, self.users)
            assert self.east.shop.name not in self.get("west admin", url).content.decode()
            assert self.checklist.title not in self.get("west admin", url).content.decode()
        # The street's unit (the handler's) is a street-wide one: it sees the street's places.
        for url in (reverse("inspections:place", args=[shop.pk]), self.checklist.get_absolute_url()):
            assert_matrix(self.client, url, {**readers, Role.HANDLER: 200, **NOBODY}, self.users)
        managers = {
            Role.ADMIN: 200,
            Role.LEADER: 200,
            Role.GRID_WORKER: 404,
            Role.CADRE: 404,
            Role.HANDLER: 404,
        }
        others = {Role.DISPATCHER: 404, Role.RESIDENT: 404}
        new, edit = reverse("inspections:place_new"), reverse("inspections:place_edit", args=[shop.pk])
        assert_matrix(self.client, new, {**managers, **others, "west admin": 200}, self.users)
        assert_matrix(self.client, edit, {**managers, **others, "west admin": 404}, self.users)
        revise = reverse("inspections:checklist_revise", args=[self.checklist.pk])
        assert_matrix(
            self.client,
            revise,
            {Role.ADMIN: 200, Role.LEADER: 404, Role.GRID_WORKER: 404, **NOBODY},
            self.users,
        )

    def test_list_shows_the_readers_places_and_filters(self) -> None:
        body = self.get(Role.GRID_WORKER, reverse("inspections:places")).content.decode()
        assert self.east.shop.name in body and self.east.petrol.name not in body
        body = self.get(Role.ADMIN, reverse("inspections:places"), kind=PlaceKind.PETROL).content.decode()
        assert self.east.petrol.name in body and self.east.shop.name not in body
        body = self.get(Role.ADMIN, reverse("inspections:places"), open_orders="true").content.decode()
        assert self.east.shop.name in body and self.east.petrol.name not in body and "有未完成整改" in body
        response = self.get(Role.ADMIN, reverse("inspections:places"), area=self.world.west.grids[0].code)
        assert response.status_code == 200 and "不存在" in response.content.decode()
        assert self.east.shop.name not in response.content.decode()

    def test_list_query_count_does_not_grow_with_rows(self) -> None:
        url = reverse("inspections:places")
        self.get(Role.ADMIN, url)  # sessions, content types
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        building = self.world.east.buildings[0]
        for i in range(12):
            Place.objects.create(
                street=self.world.east.street,
                grid=building.grid,
                building=building,
                kind=PlaceKind.SMALL,
                name=f"加{i}",
            )
        with self.assertNumQueries(len(few.captured_queries)):
            body = self.client.get(url).content.decode()
        assert "加11" in body

    def test_detail_masks_the_phone_and_shows_the_history(self) -> None:
        shop = self.east.shop
        phone = personal.unmasked(shop.responsible_phone)
        body = self.get(Role.GRID_WORKER, reverse("inspections:place", args=[shop.pk])).content.decode()
        assert phone not in body and shop.responsible_phone.masked in body
        assert self.east.order.number in body and self.east.inspection.note not in body
        assert f"合格 {self.east.inspection.passed} 项，不合格 1 项" in body

    def test_new_and_edit(self) -> None:
        self.client.force_login(self.users[Role.ADMIN])
        building = self.world.east.buildings[1]
        response = self.client.post(
            reverse("inspections:place_new"),
            {
                "kind": PlaceKind.BASEMENT,
                "name": "地下车库",
                "building": building.pk,
                "risk": RiskLevel.MEDIUM,
                "responsible_phone": "13611112222",
                "active": "on",
            },
        )
        place = Place.objects.get(name="地下车库")
        self.assertRedirects(response, place.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(
            (place.grid_id, personal.unmasked(place.responsible_phone)), (building.grid_id, "13611112222")
        )
        edit = reverse("inspections:place_edit", args=[place.pk])
        data = {
            "kind": PlaceKind.BASEMENT,
            "name": "地下车库B",
            "building": building.pk,
            "risk": RiskLevel.HIGH,
            "responsible_phone": "",
            "active": "on",
            "version": place.version,
        }
        self.assertEqual(self.client.post(edit, data).status_code, 302)
        place.refresh_from_db()
        # A blank phone keeps the one on file.
        self.assertEqual(
            (place.name, personal.unmasked(place.responsible_phone)), ("地下车库B", "13611112222")
        )
        stale = self.client.post(edit, {**data, "name": "地下车库C"})  # the version read before the edit
        self.assertEqual(stale.status_code, 400)
        self.assertIn("已被他人修改", stale.content.decode())
        unplaced = self.client.post(
            reverse("inspections:place_new"), {"kind": PlaceKind.SITE, "name": "无处", "risk": RiskLevel.LOW}
        )
        self.assertEqual(unplaced.status_code, 400)
        self.assertIn("请选择楼栋或房屋", unplaced.content.decode())


@time_machine.travel(NOW, tick=False)
class ChecklistPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        cls.admin = cls.world.user("east", Role.ADMIN)
        cls.checklist = cls.east.inspection.checklist

    def test_revise_writes_a_new_revision_and_the_old_page_keeps_its_inspection(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("inspections:checklist_revise", args=[self.checklist.pk])
        form = self.client.get(url).content.decode()
        first = self.checklist.items.order_by("position").first()
        assert first.code in form
        response = self.client.post(
            url,
            {
                "title": "小场所检查表",
                "items": "S1 | 电线规范 | 较大 | 消防法\n\nS2 | 通道畅通",
                "change_note": "精简",
            },
        )
        new = Checklist.objects.get(
            street=self.checklist.street, place_kind=self.checklist.place_kind, current=True
        )
        self.assertRedirects(response, new.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(
            list(new.items.values_list("code", "severity")), [("S1", "serious"), ("S2", "general")]
        )
        old = self.client.get(self.checklist.get_absolute_url()).content.decode()
        assert "历史版本" in old and first.text in old
        assert f"{self.east.shop.name} 2026-03-06" in old  # the inspection that used it
        listing = self.client.get(reverse("inspections:checklists")).content.decode()
        assert new.get_absolute_url() in listing

    def test_a_bad_row_is_named(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("inspections:checklist_revise", args=[self.checklist.pk])
        response = self.client.post(url, {"title": "t", "items": "S1 | 甲\nS1 | 乙", "change_note": "x"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("第 2 项：编码重复", response.content.decode())
        self.checklist.refresh_from_db()
        self.assertTrue(self.checklist.current)
