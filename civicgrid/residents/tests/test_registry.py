"""The registry's seam: ID numbers, masking at rest, scope, sensitive tags, moves."""

from datetime import date

import pytest
from django.db import connection
from django.test import TestCase

from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, InvalidInput, NotFound
from civicgrid.core.models import PersonalDataAccess
from civicgrid.residents import care, idcard
from civicgrid.residents.actions import registry
from civicgrid.residents.choices import CareKind, Relation, Tenure
from civicgrid.residents.models import CareTag, Household, Person, Residence
from civicgrid.testing.factories import build_world
from civicgrid.testing.residents import build_registry


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),
        ("110105194912310021", False),  # wrong check character
        ("1101051949123100", False),  # too short
        ("110105194902300028", False),  # 30 February
        ("11010519491231A02X", False),
    ],
)
def test_id_checksum(number: str, ok: bool) -> None:
    assert (idcard.problem(number) is None) is ok


def test_made_numbers_are_valid_and_masked() -> None:
    number = idcard.make("310000", date(1938, 5, 12), 902)
    assert idcard.problem(number) is None
    assert idcard.birth_date(number) == date(1938, 5, 12)
    assert personal.mask_id_number(number) == f"310***********{number[-4:]}"


def test_age_bands() -> None:
    day = date(2026, 12, 3)
    assert care.age_band(date(1946, 12, 4), day) is None
    assert care.age_band(date(1946, 12, 3), day) == "80"
    assert care.age_band(date(1930, 1, 1), day) == "90"
    assert care.age_band(date(1926, 12, 3), day) == "100"


class RegistryTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.reg = build_registry(cls.world.east)

    def user(self, role: str, street: str = "east"):  # type: ignore[no-untyped-def]
        return self.world.user(street, role)

    def test_no_plain_id_number_or_phone_in_the_columns(self) -> None:
        person = self.reg.persons["alone"]
        number = personal.unmasked(person.id_number)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number, phone, notes FROM residents_person WHERE id = %s", [person.pk])
            row = cursor.fetchone()
        assert number not in " ".join(row)
        assert personal.unmasked(person.phone) not in " ".join(row)
        assert "子女" not in row[2]
        assert str(person.id_number) == f"310***********{number[-4:]}"

    def test_scope_of_the_cadre_and_other_streets(self) -> None:
        cadre = self.user(Role.CADRE)
        assert set(Person.objects.restrict(cadre, "view").values_list("name", flat=True)) == {
            "王秀英",
            "李建国",
            "张丽",
            "赵强",
        }
        assert not Person.objects.restrict(self.user(Role.CADRE, "west"), "view").exists()
        assert not Person.objects.restrict(self.user(Role.DISPATCHER), "view").exists()

    def test_sensitive_tags_only_for_their_capability(self) -> None:
        def kinds(role: str) -> set[str]:
            return set(CareTag.objects.restrict(self.user(role), "view").values_list("kind", flat=True))

        assert kinds(Role.CADRE) == {
            CareKind.ALONE,
            CareKind.MINIMUM_INCOME,
            CareKind.ILLNESS,
            CareKind.CORRECTION,
        }
        assert kinds(Role.GRID_WORKER) == {CareKind.ALONE, CareKind.MINIMUM_INCOME}
        assert kinds(Role.LEADER) == set()

    def test_a_look_at_a_sensitive_tag_is_logged(self) -> None:
        cadre = self.user(Role.CADRE)
        tags = CareTag.objects.restrict(cadre, "view")
        assert care.log_look(cadre, tags, reason="走访准备") == 2
        assert PersonalDataAccess.objects.filter(field=care.LOOK_KEY, user=cadre).count() == 2

    def test_save_person_validates_and_refuses_duplicates(self) -> None:
        cadre = self.user(Role.CADRE)
        household = self.reg.households[0]
        with pytest.raises(InvalidInput) as bad:
            registry.save_person(cadre, household=household, name="钱芳", id_number="110105194912310021")
        assert bad.value.fields == {"id_number": "invalid"}
        with pytest.raises(Conflict):
            registry.save_person(
                cadre,
                household=household,
                name="重复",
                id_number=personal.unmasked(self.reg.persons["head2"].id_number),
            )
        person = registry.save_person(
            cadre, household=household, name="钱芳", id_number="11010519491231002x", relation=Relation.CHILD
        )
        assert person.birth_date == date(1949, 12, 31) and person.sex == "F"
        assert registry.find_by_id_number(person.street_id, "11010519491231002X") == person

    def test_other_area_is_not_found(self) -> None:
        with pytest.raises(NotFound):
            registry.save_person(self.user(Role.CADRE), household=self.reg.other_household, name="越界")

    def test_moves_keep_history(self) -> None:
        cadre = self.user(Role.CADRE)
        tenant = self.reg.persons["tenant3"]
        new_home = registry.register_household(
            cadre, flat=self.reg.flats[0], tenure=Tenure.TENANT, moved_in=date(2026, 1, 1)
        )
        registry.move_in(cadre, tenant, new_home, relation=Relation.HEAD, on=date(2026, 1, 1))
        old = self.reg.households[2]
        old.refresh_from_db()
        assert old.moved_out == date(2026, 1, 1) and old.head_id is None
        assert Household.objects.get(pk=new_home.pk).head_id == tenant.pk
        stays = list(Residence.objects.filter(person=tenant).values_list("household_id", "moved_out"))
        assert stays == [(old.pk, date(2026, 1, 1)), (new_home.pk, None)]
        registry.move_out(cadre, tenant, on=date(2026, 6, 1), deceased=True)
        assert Person.objects.get(pk=tenant.pk).residence == "deceased"

    def test_stale_version_conflicts(self) -> None:
        cadre = self.user(Role.CADRE)
        person = self.reg.persons["head2"]
        registry.save_person(cadre, person=person, version=person.version, employer="某公司")
        with pytest.raises(Conflict):
            registry.save_person(cadre, person=person, version=person.version, employer="另一公司")


class FilterTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.reg = build_registry(cls.world.east)

    def names(self, role: str, **params: str) -> set[str]:
        from civicgrid.residents.filters import persons

        return set(persons(self.world.user("east", role), params).values_list("name", flat=True))

    def test_care_kinds_follow_what_the_reader_may_see(self) -> None:
        assert self.names(Role.CADRE, care="correction") == {"赵强"}
        assert self.names(Role.GRID_WORKER, care="correction") == set()
        assert self.names(Role.GRID_WORKER, care="any") == {"王秀英", "李建国"}

    def test_text_finds_by_whole_id_number_through_the_hash(self) -> None:
        number = personal.unmasked(self.reg.persons["head2"].id_number)
        assert self.names(Role.CADRE, q=number) == {"李建国"}
        assert self.names(Role.CADRE, q="王秀") == {"王秀英"}

    def test_age_band_and_bad_area(self) -> None:
        from civicgrid.residents.filters import persons

        assert self.names(Role.CADRE, age="80") == {"王秀英"}
        with pytest.raises(InvalidInput) as bad:
            persons(self.world.user("east", Role.CADRE), {"area": self.world.west.street.code})
        assert "area" in bad.value.fields
