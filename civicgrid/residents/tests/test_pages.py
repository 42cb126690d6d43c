"""The registry's pages: who opens which, masking in every page's bytes, the logged reveal and
looks at sensitive tags, the forms through the actions, the list's query count."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.core.models import PersonalDataAccess
from civicgrid.residents import care
from civicgrid.residents.choices import CareKind
from civicgrid.residents.models import CareTag, Flat, Household, Person
from civicgrid.residents.places import room_of
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.residents import build_registry

MOMENT = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# Who opens the registry's pages (residents.view, in scope): the keepers and the visitors.
READERS = {Role.ADMIN: 200, Role.CADRE: 200, Role.GRID_WORKER: 200}
OTHERS = {Role.DISPATCHER: 404, Role.HANDLER: 404, Role.LEADER: 404, Role.RESIDENT: 404}


@pytest.mark.parametrize(
    ("address", "room"),
    [
        ("东路100号302室", "302"),
        ("东路100号 1202 室", "1202"),
        ("浦东南路1号楼502室", "502"),
        ("东路100号3-302室", "302"),
        ("东路100号302", "302"),
        ("B座1502房", "1502"),
        ("东路100号", None),
        ("", None),
    ],
)
def test_room_of_an_address(address: str, room: str | None) -> None:
    assert room_of(address) == room


@time_machine.travel(MOMENT, tick=False)
class PageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.reg = build_registry(cls.world.east)
        east = cls.world.east
        cls.users = {**east.users, "west cadre": cls.world.user("west", Role.CADRE)}
        cls.building = east.buildings[0]
        cls.numbers = [personal.unmasked(p.id_number) for p in cls.reg.persons.values()]
        cls.phones = [personal.unmasked(p.phone) for p in cls.reg.persons.values()]

    def urls(self) -> list[str]:
        reg = self.reg
        return [
            reverse("residents:persons"),
            reverse("residents:building", args=[self.building.pk]),
            reverse("residents:flat", args=[reg.flats[0].pk]),
            reverse("residents:household", args=[reg.households[1].pk]),
            reverse("residents:person", args=[reg.persons["alone"].pk]),
        ]

    def get(self, role: str, url: str):  # type: ignore[no-untyped-def]
        self.client.force_login(self.users[role])
        return self.client.get(url)

    def test_matrix(self) -> None:
        listing, *pages = self.urls()
        # The west cadre has a list (their own street's, empty here) but none of these pages.
        assert_matrix(self.client, listing, {**READERS, **OTHERS, "west cadre": 200}, self.users)
        assert "王秀英" not in self.get("west cadre", listing).content.decode()
        for url in pages:
            assert_matrix(self.client, url, {**READERS, **OTHERS, "west cadre": 404}, self.users)

    def test_nav_link_for_those_with_the_registry(self) -> None:
        link = f'href="{reverse("residents:persons")}"'
        for role, shown in ((Role.CADRE, True), (Role.GRID_WORKER, True), (Role.DISPATCHER, False)):
            body = self.get(role, reverse("core:inbox")).content.decode()
            assert (link in body) is shown, role

    def test_other_area_is_404_for_the_cadre(self) -> None:
        other = self.reg.other_household
        assert other is not None
        for url in (
            reverse("residents:household", args=[other.pk]),
            reverse("residents:person", args=[self.reg.persons["other"].pk]),
            reverse("residents:building", args=[self.world.east.buildings[-1].pk]),
        ):
            assert self.get(Role.CADRE, url).status_code == 404
        listing = self.get(Role.CADRE, reverse("residents:persons")).content.decode()
        assert "孙伟" not in listing and "王秀英" in listing

    def test_no_full_number_or_phone_in_any_page(self) -> None:
        for role in (Role.ADMIN, Role.CADRE, Role.GRID_WORKER):
            for url in self.urls():
                body = self.get(role, url).content.decode()
                leaked = [v for v in (*self.numbers, *self.phones) if v in body]
                assert not leaked, f"{role} {url}: {leaked}"
        body = self.get(Role.CADRE, reverse("residents:person", args=[self.reg.persons["alone"].pk])).content
        number = personal.unmasked(self.reg.persons["alone"].id_number)
        assert f"310***********{number[-4:]}".encode() in body
        assert "子女在外地".encode() not in body  # the notes are personal too

    def test_reveal_is_logged_with_its_reason(self) -> None:
        person = self.reg.persons["alone"]
        self.client.force_login(self.users[Role.CADRE])
        url = reverse("core:reveal", args=["residents", "person", person.pk, "id_number"])
        response = self.client.post(url, {"reason": "核实情况"})
        assert personal.unmasked(person.id_number) in response.content.decode()
        look = PersonalDataAccess.objects.get(user=self.users[Role.CADRE], object_id=str(person.pk))
        assert look.reason == "核实情况"

    def test_sensitive_tags_for_the_cadre_logged_and_hidden_from_others(self) -> None:
        household = self.reg.households[2]  # 赵强, 社区矫正
        url = reverse("residents:household", args=[household.pk])
        looks = PersonalDataAccess.objects.filter(field=care.LOOK_KEY)
        body = self.get(Role.CADRE, url).content.decode()
        assert "社区矫正" in body and "有关爱需求" not in body
        assert looks.filter(user=self.users[Role.CADRE], reason="查看住户信息").count() == 1
        for role in (Role.GRID_WORKER, Role.ADMIN):
            body = self.get(role, url).content.decode()
            assert "社区矫正" not in body and "有关爱需求" in body
        assert not looks.exclude(user=self.users[Role.CADRE]).exists()
        # The list logs its look with its own reason.
        self.get(Role.CADRE, reverse("residents:persons"))
        assert looks.filter(reason="查看名单").count() == 2  # 大病 and 社区矫正

    def test_hidden_needs_per_reader(self) -> None:
        h1, h2, h3 = (h.pk for h in self.reg.households)
        assert care.has_hidden_needs(self.users[Role.CADRE], [h1, h2, h3]) == set()
        assert care.has_hidden_needs(self.users[Role.GRID_WORKER], [h1, h2, h3]) == {h2, h3}
        # Without residents.care_tags every kind is hidden: needs, no more.
        assert care.has_hidden_needs(self.users[Role.LEADER], [h1, h2, h3]) == {h1, h2, h3}
        person = self.reg.persons["tenant3"]
        self.get(Role.CADRE, reverse("residents:person", args=[person.pk]))
        look = PersonalDataAccess.objects.get(field=care.LOOK_KEY)
        assert (look.reason, look.object_id) == ("查看人员信息", str(self.reg.tags["correction"].pk))

    def test_list_filters_and_errors(self) -> None:
        url = reverse("residents:persons")
        body = self.get(Role.CADRE, url + "?care=alone").content.decode()
        assert "王秀英" in body and "李建国" not in body
        body = self.get(Role.GRID_WORKER, url + "?care=correction").content.decode()
        assert "赵强" not in body
        response = self.get(Role.CADRE, url + f"?area={self.world.west.street.code}")
        assert response.status_code == 200 and "不存在" in response.content.decode()
        area = self.world.east.residential[0].code
        assert "王秀英" in self.get(Role.CADRE, url + f"?area={area}").content.decode()

    def test_list_query_count_does_not_grow_with_rows(self) -> None:
        self.client.force_login(self.users[Role.CADRE])
        url = reverse("residents:persons")
        self.client.get(url)  # sessions, content types
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        household = self.reg.households[0]
        for i in range(12):
            person = Person.objects.create(street_id=household.street_id, household=household, name=f"加{i}")
            CareTag.objects.create(
                person=person,
                street_id=person.street_id,
                kind=CareKind.DISABILITY,
                starts_on=date(2025, 1, 1),
            )
        with self.assertNumQueries(len(few.captured_queries)):
            body = self.client.get(url).content.decode()
        assert "加11" in body and "残疾" in body

    def test_building_query_count_does_not_grow_with_flats(self) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.client.force_login(self.users[Role.CADRE])
        url = reverse("residents:building", args=[self.building.pk])
        self.client.get(url)
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        for i in range(8):
            flat = Flat.objects.create(
                building=self.building, street_id=self.building.street_id, room=f"5{i:02d}"
            )
            household = Household.objects.create(flat=flat, street_id=flat.street_id)
            for j in range(2):
                person = Person.objects.create(
                    street_id=flat.street_id, household=household, name=f"新{i}{j}"
                )
                CareTag.objects.create(
                    person=person, street_id=person.street_id, kind=CareKind.ALONE, starts_on=date(2025, 1, 1)
                )
        with self.assertNumQueries(len(few.captured_queries)):
            body = self.client.get(url).content.decode()
        assert "新71" in body


@time_machine.travel(MOMENT, tick=False)
class FormTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.reg = build_registry(cls.world.east)
        cls.cadre = cls.world.user("east", Role.CADRE)

    def setUp(self) -> None:
        self.client.force_login(self.cadre)

    def test_add_flat_household_person_from_the_building(self) -> None:
        building = self.world.east.buildings[0]
        url = reverse("residents:building", args=[building.pk])
        response = self.client.post(url, {"op": "flat", "room": "301", "floor": "3", "use": "rented"})
        assert response.status_code == 302
        flat = Flat.objects.get(building=building, room="301")
        response = self.client.post(url, {"op": "flat", "room": "301", "use": "owner"})
        assert response.status_code == 400 and "该楼栋已有此室号" in response.content.decode()
        self.client.post(url, {"op": "household", "flat": flat.pk, "tenure": "tenant"})
        household = Household.objects.get(flat=flat)
        response = self.client.post(
            url,
            {
                "op": "person",
                "household": household.pk,
                "name": "钱芳",
                "id_type": "id_card",
                "id_number": "110105194912310021",
                "relation": "head",
                "residence": "resident",
            },
        )
        assert response.status_code == 400 and "身份证号码校验位不正确" in response.content.decode()
        assert not Person.objects.filter(name="钱芳").exists()
        data = {"op": "person", "household": household.pk, "name": "钱芳", "id_type": "id_card"}
        data |= {"id_number": "11010519491231002X", "relation": "head", "residence": "resident"}
        assert self.client.post(url, data).status_code == 302
        person = Person.objects.get(name="钱芳")
        assert person.birth_date == date(1949, 12, 31)
        assert "钱芳" in self.client.get(url).content.decode()

    def test_writes_need_the_edit_capability(self) -> None:
        self.client.force_login(self.world.user("east", Role.GRID_WORKER))
        url = reverse("residents:building", args=[self.world.east.buildings[0].pk])
        assert self.client.post(url, {"op": "flat", "room": "909", "use": "owner"}).status_code == 404
        assert not Flat.objects.filter(room="909").exists()

    def test_edit_with_a_stale_version_conflicts(self) -> None:
        person = self.reg.persons["head2"]
        url = reverse("residents:person", args=[person.pk])
        data = {"op": "edit", "name": "李建国", "id_type": "id_card", "relation": "head"}
        data |= {"residence": "registered", "employer": "某公司", "version": person.version}
        assert self.client.post(url, data).status_code == 302
        person.refresh_from_db()
        assert person.employer == "某公司" and person.version == 2
        # The number was left blank: kept.
        assert personal.unmasked(person.id_number) == personal.unmasked(self.reg.persons["head2"].id_number)
        data |= {"employer": "另一公司", "version": 1}
        response = self.client.post(url, data)
        assert response.status_code == 400 and "已被他人修改" in response.content.decode()

    def test_care_tags_add_and_end(self) -> None:
        person = self.reg.persons["head2"]
        url = reverse("residents:person", args=[person.pk])
        data = {"op": "tag", "kind": "disability", "disability_grade": "2", "starts_on": "2026-11-01"}
        assert self.client.post(url, data).status_code == 302
        tag = CareTag.objects.get(person=person, kind="disability")
        assert tag.disability_grade == 2
        bad = self.client.post(url, {"op": "end_tag", "tag": tag.pk, "ends_on": "2020-01-01", "version": 1})
        assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
        ok = self.client.post(url, {"op": "end_tag", "tag": tag.pk, "ends_on": "2026-11-30", "version": 1})
        assert ok.status_code == 302
        tag.refresh_from_db()
        assert tag.ends_on == date(2026, 11, 30)

    def test_grid_worker_is_not_offered_sensitive_kinds(self) -> None:
        self.client.force_login(self.world.user("east", Role.GRID_WORKER))
        body = self.client.get(
            reverse("residents:person", args=[self.reg.persons["head2"].pk])
        ).content.decode()
        assert 'value="correction"' not in body

    def test_move_out_and_history(self) -> None:
        person = self.reg.persons["spouse2"]
        household = self.reg.households[1]
        url = reverse("residents:person", args=[person.pk])
        response = self.client.post(url, {"op": "move_out", "on": "2026-11-20", "reason": "搬走"})
        assert response.status_code == 302 and response["Location"] == household.get_absolute_url()
        body = self.client.get(household.get_absolute_url()).content.decode()
        assert "张丽" in body and "搬走" in body and "2026-11-20" in body

    def test_flat_edit_keeps_the_owner_phone_and_checks_the_version(self) -> None:
        flat = self.reg.flats[0]
        url = reverse("residents:flat", args=[flat.pk])
        first = {"op": "flat", "room": "101", "use": "rented", "owner_name": "周业主"}
        first |= {"owner_phone": "13912345678", "version": flat.version}
        assert self.client.post(url, first).status_code == 302
        again = {**first, "owner_phone": "", "note": "出租给学生", "version": flat.version + 1}
        assert self.client.post(url, again).status_code == 302
        flat.refresh_from_db()
        assert personal.unmasked(flat.owner_phone) == "13912345678" and flat.note == "出租给学生"
        body = self.client.get(url).content.decode()
        assert "13912345678" not in body and "139****5678" in body
        stale = self.client.post(url, {**again, "note": "旧版本"})
        assert stale.status_code == 400 and "已被他人修改" in stale.content.decode()
        # Renamed onto another flat's room: refused under the field, not a database error.
        taken = self.client.post(url, {**again, "room": "102", "version": flat.version})
        assert taken.status_code == 400 and "该楼栋已有此室号" in taken.content.decode()

    def test_move_in_to_another_household(self) -> None:
        person = self.reg.persons["tenant3"]
        target = self.reg.households[0]
        url = reverse("residents:person", args=[person.pk])
        data = {"op": "move_in", "household": target.pk, "relation": "tenant", "on": "2026-11-15"}
        assert self.client.post(url, data).status_code == 302
        person.refresh_from_db()
        assert person.household_id == target.pk
        body = self.client.get(url).content.decode()
        assert "2026-11-15" in body  # the old stay closed, the new one opened that day
        # A household outside the cadre's area is no choice.
        other = {**data, "household": self.reg.other_household.pk}  # type: ignore[union-attr]
        response = self.client.post(url, other)
        assert response.status_code == 400

    def test_unknown_form_is_404(self) -> None:
        url = reverse("residents:person", args=[self.reg.persons["head2"].pk])
        assert self.client.post(url, {"op": "nonsense"}).status_code == 404


@time_machine.travel(MOMENT, tick=False)
class EnglishTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.reg = build_registry(cls.world.east)

    def test_pages_switch_to_english(self) -> None:
        self.client.force_login(self.world.user("east", Role.CADRE))
        self.client.cookies["django_language"] = "en"
        pages = {
            reverse("residents:persons"): ["Residents", "Residence status", "Care tags"],
            reverse("residents:household", args=[self.reg.households[0].pk]): [
                "Members",
                "Residence history",
            ],
            reverse("residents:person", args=[self.reg.persons["alone"].pk]): ["Add a care tag", "Move out"],
        }
        for url, present in pages.items():
            html = self.client.get(url).content.decode()
            assert '<html lang="en">' in html, url
            for text in present:
                assert text in html, (url, text)
            assert "居住记录" not in html and "添加关爱对象标签" not in html, url
