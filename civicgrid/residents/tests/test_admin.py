"""The registry in the admin: scoped, read-only but for the street's own care kinds, personal
fields masked, sensitive care tags left out."""

from django.test import TestCase
from django.urls import reverse

from civicgrid.accounts.models import User
from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.residents.models import LocalCareKind
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.residents import build_registry


class AdminTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.reg = build_registry(cls.world.east)
        for street in ("east", "west"):
            User.objects.filter(pk=cls.world.user(street, Role.ADMIN).pk).update(is_staff=True)
        cls.admin = cls.world.user("east", Role.ADMIN)

    def setUp(self) -> None:
        self.client.force_login(self.admin)

    def test_person_list_and_form_are_masked(self) -> None:
        person = self.reg.persons["alone"]
        number, phone = personal.unmasked(person.id_number), personal.unmasked(person.phone)
        for url in (
            reverse("admin:residents_person_changelist"),
            reverse("admin:residents_person_change", args=[person.pk]),
        ):
            body = self.client.get(url).content.decode()
            assert f"310***********{number[-4:]}" in body, url
            assert number not in body and phone not in body and "子女在外地" not in body, url

    def test_search_by_whole_number_through_the_hash(self) -> None:
        person = self.reg.persons["head2"]
        url = reverse("admin:residents_person_changelist")
        body = self.client.get(url, {"q": personal.unmasked(person.id_number)}).content.decode()
        assert "李建国" in body and "王秀英" not in body

    def test_registry_rows_are_read_only(self) -> None:
        person = self.reg.persons["alone"]
        url = reverse("admin:residents_person_change", args=[person.pk])
        response = self.client.post(url, {"name": "改名"})
        assert response.status_code == 403
        assert self.client.get(reverse("admin:residents_person_add")).status_code == 403

    def test_sensitive_tags_are_left_out(self) -> None:
        body = self.client.get(reverse("admin:residents_caretag_changelist")).content.decode()
        assert "独居老人" in body and "王秀英" in body
        assert "赵强" not in body and "张丽" not in body  # 社区矫正, 大病
        hidden = self.reg.tags["correction"]
        assert self.client.get(reverse("admin:residents_caretag_change", args=[hidden.pk])).status_code == 404

    def test_other_street_is_404(self) -> None:
        person = self.reg.persons["alone"]
        users = {"west": self.world.user("west", Role.ADMIN), "east": self.admin}
        url = reverse("admin:residents_person_change", args=[person.pk])
        assert_matrix(self.client, url, {"west": 404, "east": 200}, users)

    def test_street_care_kinds_are_edited_here(self) -> None:
        street = self.world.east.street
        url = reverse("admin:residents_localcarekind_add")
        data = {"street": street.pk, "code": "shidu", "name": "失独家庭", "visit_interval_days": "30"}
        response = self.client.post(url, {**data, "is_active": "on"})
        assert response.status_code == 302, response.content.decode()[:2000]
        kind = LocalCareKind.objects.get(code="shidu")
        assert kind.street_id == street.pk and kind.visit_interval_days == 30
        # Another street is no choice.
        other = {**data, "street": self.world.west.street.pk, "code": "other"}
        assert self.client.post(url, other).status_code == 200
        assert not LocalCareKind.objects.filter(code="other").exists()


class SuperuserTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.reg = build_registry(build_world().east)
        cls.root = User.objects.create_superuser("root", password="x")

    def test_no_sensitive_tag_in_the_admin_even_for_superusers(self) -> None:
        self.client.force_login(self.root)
        body = self.client.get(reverse("admin:residents_caretag_changelist")).content.decode()
        assert "王秀英" in body and "赵强" not in body and "张丽" not in body
