"""Inspections in the admin: every model's list and page open, scoped (another street's row is
a 404), read-only (rows are written by actions and frames), the responsible phone masked."""

from django.test import TestCase
from django.urls import reverse

from civicgrid.accounts.models import User
from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.testing.factories import build_world
from civicgrid.testing.inspections import build_inspections
from civicgrid.testing.permissions import assert_matrix


class AdminTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_inspections(cls.world.east)
        for street in ("east", "west"):
            User.objects.filter(pk=cls.world.user(street, Role.ADMIN).pk).update(is_staff=True)
        cls.admin = cls.world.user("east", Role.ADMIN)
        east = cls.east
        cls.rows = {
            "place": east.shop,
            "checklist": east.inspection.checklist,
            "plan": east.plan,
            "task": east.task,
            "inspection": east.inspection,
            "order": east.order,
            "rententry": east.entry,
        }

    def setUp(self) -> None:
        self.client.force_login(self.admin)

    def test_every_model_lists_and_opens_read_only(self) -> None:
        for model, row in self.rows.items():
            with self.subTest(model=model):
                listing = self.client.get(reverse(f"admin:inspections_{model}_changelist"))
                self.assertEqual(listing.status_code, 200)
                change = reverse(f"admin:inspections_{model}_change", args=[row.pk])
                self.assertEqual(self.client.get(change).status_code, 200)
                self.assertEqual(self.client.post(change, {}).status_code, 403)
                self.assertEqual(self.client.get(reverse(f"admin:inspections_{model}_add")).status_code, 403)

    def test_phone_masked_and_items_inline(self) -> None:
        shop = self.east.shop
        phone = personal.unmasked(shop.responsible_phone)
        for url in (
            reverse("admin:inspections_place_changelist"),
            reverse("admin:inspections_place_change", args=[shop.pk]),
        ):
            body = self.client.get(url).content.decode()
            assert shop.responsible_phone.masked in body and phone not in body, url
        checklist = self.rows["checklist"]
        body = self.client.get(
            reverse("admin:inspections_checklist_change", args=[checklist.pk])
        ).content.decode()
        assert checklist.items.first().text in body

    def test_other_street_is_404(self) -> None:
        users = {"west": self.world.user("west", Role.ADMIN), "east": self.admin}
        for model in ("place", "order", "checklist"):
            url = reverse(f"admin:inspections_{model}_change", args=[self.rows[model].pk])
            assert_matrix(self.client, url, {"west": 404, "east": 200}, users)
