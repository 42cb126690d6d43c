"""What the registry shows on other apps' pages: a case's household care tags (point 7),
counts without names on building and area pages."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.cases import actions
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.models import Case
from civicgrid.core.choices import Role
from civicgrid.core.models import PersonalDataAccess
from civicgrid.residents import care
from civicgrid.residents.panels import counts
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.residents import build_registry

MOMENT = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NAMES = ("王秀英", "李建国", "张丽", "赵强", "孙伟")


@time_machine.travel(MOMENT, tick=False)
class PanelTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.reg = build_registry(cls.world.east)
        east = cls.world.east
        cls.building = east.buildings[0]
        point = east.grids[0].shape.centroid
        desk = east.users[Role.DISPATCHER]
        case = actions.create_case(
            CaseInput(
                request_type="complaint",
                category="E2105",
                title="楼上漏水",
                description="厨房天花板漏水",
                channel="hotline",
                lon=point.x,
                lat=point.y,
                address=f"{cls.building.address}101室",
                reporter_name="报告人",
                reporter_phone="13900001111",
            ),
            desk,
        )
        # The flat is found from the case's building and the room in its address.
        Case.objects.filter(pk=case.pk).update(building=cls.building)
        cls.case = Case.objects.get(pk=case.pk)

    def body(self, role: str, url: str, street: str = "east") -> str:
        self.client.force_login(self.world.user(street, role))
        response = self.client.get(url)
        assert response.status_code == 200, (role, url, response.status_code)
        return response.content.decode()

    def test_the_desk_sees_alone_on_the_case_and_a_visit_suggested(self) -> None:
        body = self.body(Role.DISPATCHER, self.case.get_absolute_url())
        assert "独居老人" in body and "建议走访" in body
        assert "王秀英" not in body  # the kind, not who holds it
        # The desk cannot open the household page: no link to it.
        assert self.reg.households[0].get_absolute_url() not in body

    def test_the_cadre_gets_the_household_link(self) -> None:
        body = self.body(Role.CADRE, self.case.get_absolute_url())
        assert "建议走访" in body and self.reg.households[0].get_absolute_url() in body
        # A sensitive kind is shown to the cadre who answers for it, and the look logged.
        Case.objects.filter(pk=self.case.pk).update(
            address=f"{self.building.address}{self.reg.flats[2].room}室"
        )
        assert "社区矫正" in self.body(Role.CADRE, self.case.get_absolute_url())
        look = PersonalDataAccess.objects.get(field=care.LOOK_KEY)
        assert look.reason == "工单关联住户" and look.user == self.world.user("east", Role.CADRE)

    def test_a_sensitive_tag_on_a_case_is_needs_only_for_the_desk(self) -> None:
        room = self.reg.flats[2].room  # 赵强: 社区矫正
        Case.objects.filter(pk=self.case.pk).update(address=f"{self.building.address}{room}室")
        body = self.body(Role.DISPATCHER, self.case.get_absolute_url())
        assert "社区矫正" not in body and "有关爱需求" in body and "建议走访" in body

    def test_no_panel_without_a_flat_or_the_capability(self) -> None:
        Case.objects.filter(pk=self.case.pk).update(address=self.building.address)
        assert "建议走访" not in self.body(Role.DISPATCHER, self.case.get_absolute_url())
        Case.objects.filter(pk=self.case.pk).update(address=f"{self.building.address}101室")
        assert "建议走访" not in self.body(Role.LEADER, self.case.get_absolute_url())

    def test_building_page_counts_without_names(self) -> None:
        url = reverse("geo:building", args=[self.building.pk])
        registry_url = reverse("residents:building", args=[self.building.pk])
        body = self.body(Role.LEADER, url)
        assert "实有人口" in body and "名关爱对象" in body
        assert not any(name in body for name in NAMES)
        assert registry_url not in body
        assert registry_url in self.body(Role.CADRE, url)

    def test_counts_name_sensitive_kinds_only_for_those_allowed(self) -> None:
        street = self.world.east.street
        leader = counts(self.world.user("east", Role.LEADER), street)
        assert (leader["flats"], leader["households"], leader["persons"], leader["cared"]) == (4, 4, 5, 4)
        assert dict(leader["kinds"]) == {"独居老人": 1, "低保": 1, "其他关爱需求": 2}
        cadre = counts(self.world.user("east", Role.CADRE), street)
        assert dict(cadre["kinds"]) == {"独居老人": 1, "低保": 1, "大病": 1, "社区矫正": 1}
        grid = counts(self.world.user("east", Role.LEADER), self.world.east.grids[3])
        assert (grid["households"], grid["persons"], grid["cared"]) == (1, 1, 0)

    def test_area_page_counts_without_names(self) -> None:
        url = reverse("geo:area", args=[self.world.east.street.code])
        body = self.body(Role.LEADER, url)
        assert "其他关爱需求" in body and "独居老人" in body
        assert not any(name in body for name in NAMES)
        assert not PersonalDataAccess.objects.filter(field=care.LOOK_KEY).exists()

    def test_panels_answer_only_inside_the_scope(self) -> None:
        for url in (
            self.case.get_absolute_url(),
            reverse("geo:building", args=[self.building.pk]),
            reverse("geo:area", args=[self.world.east.street.code]),
        ):
            self.client.force_login(self.world.user("west", Role.DISPATCHER))
            assert self.client.get(url).status_code == 404
        users = {role: self.world.user("east", role) for role in (Role.LEADER, Role.DISPATCHER)}
        assert_matrix(
            self.client,
            reverse("residents:building", args=[self.building.pk]),
            {Role.LEADER: 404, Role.DISPATCHER: 404},
            users,
        )
