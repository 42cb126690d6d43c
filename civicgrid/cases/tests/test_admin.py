"""Admin of categories, the duty table and (read-only) cases."""

import pytest
from django.urls import reverse

from civicgrid.cases.models import Case, Category, DutyRule
from civicgrid.cases.tests.factories import duty, make_case
from civicgrid.core.choices import Role
from civicgrid.testing.factories import UserFactory
from civicgrid.testing.permissions import assert_matrix

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(world):
    for street in ("east", "west"):
        for role in (Role.ADMIN, Role.DISPATCHER):
            user = world.user(street, role)
            user.is_staff = True
            user.save()
    return {
        "east-admin": world.user("east", Role.ADMIN),
        "east-dispatcher": world.user("east", Role.DISPATCHER),
        "west-admin": world.user("west", Role.ADMIN),
    }


def test_case_admin_is_read_only_and_scoped(client, world, staff):
    east, west = make_case(world), make_case(world, "west")
    change = reverse("admin:cases_case_change", args=[east.pk])
    assert_matrix(client, change, {"east-admin": 200, "east-dispatcher": 200, "west-admin": 404}, staff)
    client.force_login(staff["east-dispatcher"])
    listing = client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert east.number in listing and west.number not in listing
    page = client.get(change).content.decode()
    assert 'name="_save"' not in page and east.get_absolute_url() in page
    assert "13812345678" not in page  # the phone is not part of the read-only view
    # No add, no change by POST, no delete.
    assert client.get(reverse("admin:cases_case_add")).status_code == 403
    client.post(change, {"status": "closed", "description": "改掉"})
    assert Case.objects.get(pk=east.pk).description == east.description
    assert client.get(reverse("admin:cases_case_delete", args=[east.pk])).status_code == 403
    events = client.get(reverse("admin:cases_caseevent_changelist")).content.decode()
    assert east.number in events and west.number not in events


def test_duty_rule_admin_is_restricted(client, world, staff):
    east_rule, west_rule = duty(world, "east"), duty(world, "west")
    assert_matrix(
        client,
        reverse("admin:cases_dutyrule_change", args=[east_rule.pk]),
        {"east-admin": 200, "west-admin": 404},
        staff,
    )
    assert_matrix(
        client,
        reverse("admin:cases_dutyrule_change", args=[west_rule.pk]),
        {"east-admin": 404, "west-admin": 200},
        staff,
    )
    client.force_login(staff["east-admin"])
    page = client.get(reverse("admin:cases_dutyrule_add"))
    form = page.context["adminform"].form
    assert world.west.street not in set(form.fields["area"].queryset)
    # Shared district units may be named as lead or co-handler.
    assert world.shared_unit in set(form.fields["co_units"].queryset)
    response = client.post(
        reverse("admin:cases_dutyrule_add"),
        {
            "category": Category.objects.get(code="E2103").pk,
            "area": world.east.residential[0].pk,
            "lead_unit": world.east.unit.pk,
            "co_units": [world.shared_unit.pk],
            "is_active": "on",
            "note": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = DutyRule.objects.get(category__code="E2103")
    assert list(rule.co_units.all()) == [world.shared_unit]
    # A rule in the other street cannot be made.
    response = client.post(
        reverse("admin:cases_dutyrule_add"),
        {
            "category": Category.objects.get(code="E2104").pk,
            "area": world.west.street.pk,
            "lead_unit": world.east.unit.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 200 and not DutyRule.objects.filter(category__code="E2104").exists()
    # Dispatchers read the duty table but do not edit it.
    client.force_login(staff["east-dispatcher"])
    assert client.get(reverse("admin:cases_dutyrule_add")).status_code == 403


def test_category_admin_lists_the_tree_and_only_superusers_edit(client, world, staff):
    client.force_login(staff["east-admin"])
    listing = client.get(reverse("admin:cases_category_changelist"), {"q": "噪声扰民"})
    assert listing.status_code == 200 and "E2105" in listing.content.decode()
    noise = Category.objects.get(code="E2105")
    page = client.get(reverse("admin:cases_category_change", args=[noise.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    root = UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.post(
        reverse("admin:cases_category_change", args=[noise.pk]),
        {
            "code": "E2105",
            "name": "噪声扰民",
            "parent": noise.parent_id,
            "kind": "event",
            "default_request_type": "complaint",
            "is_active": "on",
            "handling_working_days": "3",
            "children-TOTAL_FORMS": "0",
            "children-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    noise.refresh_from_db()
    assert noise.handling_working_days == 3
