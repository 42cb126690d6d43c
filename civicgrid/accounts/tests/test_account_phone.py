"""An account's phone: masked on the account page and in the admin, revealed only through
the logged reveal (a reason, the accounts.reveal_phone capability, a row of the street),
found by the whole number in the admin through its hash, editable in a form."""

import pytest
from django.forms import modelform_factory
from django.urls import reverse

from civicgrid.accounts.models import User
from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.core.models import PersonalDataAccess
from civicgrid.testing.permissions import assert_matrix

pytestmark = pytest.mark.django_db

PHONE, MASKED = "13800000107", "138****0107"


@pytest.fixture
def resident(world):
    user = world.user("east", Role.RESIDENT)
    user.phone = PHONE
    user.save()
    return user


def reveal_url(user):
    return reverse("core:reveal", args=["accounts", "user", user.pk, "phone"])


def test_the_account_page_masks_the_phone_and_logs_nothing(client, world, resident):
    for role in (Role.ADMIN, Role.LEADER):
        client.force_login(world.user("east", role))
        html = client.get(resident.get_absolute_url()).content.decode()
        assert PHONE not in html and MASKED in html, role
        assert reveal_url(resident) in html and "查看完整" in html, role
    client.force_login(resident)
    html = client.get(reverse("accounts:me")).content.decode()
    assert PHONE not in html and MASKED in html and reveal_url(resident) not in html
    assert not PersonalDataAccess.objects.exists()


def test_the_reveal_shows_the_number_and_logs_it_with_the_reason(client, world, resident):
    leader = world.user("east", Role.LEADER)
    client.force_login(leader)
    url = reveal_url(resident)
    refused = client.post(url, {"reason": " "}, headers={"HX-Request": "true"})
    assert refused.status_code == 400 and PHONE not in refused.content.decode()
    assert not PersonalDataAccess.objects.exists()
    response = client.post(url, {"reason": "账号管理"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and PHONE in response.content.decode()
    assert "<html" not in response.content.decode() and "no-store" in response["Cache-Control"]
    row = PersonalDataAccess.objects.get()
    assert (row.user, row.field, row.via, row.reason) == (leader, "accounts.user.phone", "web", "账号管理")
    assert row.object_id == str(resident.pk) and row.street_id == world.east.street.pk
    assert "手机号" in str(row)
    # The street's administrator reads who looked (the log is scoped like the audit trail).
    assert list(PersonalDataAccess.objects.restrict(world.user("east", Role.ADMIN), "view")) == [row]
    assert not PersonalDataAccess.objects.restrict(world.user("west", Role.ADMIN), "view").exists()
    # A whole page without htmx; a GET reveals nothing.
    assert PHONE in client.post(url, {"reason": "核实情况"}).content.decode()
    assert client.get(url).status_code == 405 and PersonalDataAccess.objects.count() == 2


def test_who_may_reveal_an_account_phone(client, world, resident):
    users = {f"east-{r}": world.user("east", r) for r in Role}
    users.update({f"west-{r}": world.user("west", r) for r in Role})
    expected = {f"east-{r}": 404 for r in Role} | {f"west-{r}": 404 for r in Role}
    expected.update({"east-admin": 200, "east-leader": 200})
    assert_matrix(client, reveal_url(resident), expected, users, method="post", data={"reason": "核实"})
    assert PersonalDataAccess.objects.count() == 2
    client.logout()
    assert client.post(reveal_url(resident), {"reason": "核实"}).status_code == 302  # login first
    # Nothing else is reachable through the generic address: no model, no field, not personal.
    client.force_login(world.user("east", Role.ADMIN))
    for args in (
        ["accounts", "user", resident.pk, "full_name"],
        ["accounts", "nothing", resident.pk, "phone"],
        ["accounts", "user", "x", "phone"],
        ["accounts", "user", world.user("west", Role.RESIDENT).pk, "phone"],
    ):
        assert client.post(reverse("core:reveal", args=args), {"reason": "核实"}).status_code == 404, args
    assert PersonalDataAccess.objects.count() == 2


@pytest.fixture
def staff_admin(world):
    admin = world.user("east", Role.ADMIN)
    admin.is_staff = True
    admin.save()
    return admin


def test_admin_list_change_page_and_search_by_number(client, world, resident, staff_admin):
    client.force_login(staff_admin)
    changelist = reverse("admin:accounts_user_changelist")
    html = client.get(changelist).content.decode()
    assert MASKED in html and PHONE not in html
    found = client.get(changelist, {"q": "138-0000-0107"})
    assert found.status_code == 200
    assert list(found.context["cl"].result_list) == [resident]
    assert not list(client.get(changelist, {"q": "1380000010"}).context["cl"].result_list)
    page = client.get(reverse("admin:accounts_user_change", args=[resident.pk])).content.decode()
    assert MASKED in page and PHONE not in page
    assert not PersonalDataAccess.objects.exists()


def test_a_form_keeps_the_number_it_showed_masked_and_takes_a_new_one(resident):
    form_class = modelform_factory(User, fields=["full_name", "phone"])
    form = form_class(instance=resident)
    assert str(form["phone"].value()) == MASKED and PHONE not in str(form["phone"])
    unchanged = form_class({"full_name": "改名", "phone": MASKED}, instance=resident)
    assert unchanged.is_valid(), unchanged.errors
    unchanged.save()
    resident.refresh_from_db()
    assert resident.full_name == "改名" and personal.unmasked(resident.phone) == PHONE
    replaced = form_class({"full_name": "改名", "phone": "13900000000"}, instance=resident)
    assert replaced.is_valid(), replaced.errors
    replaced.save()
    assert list(User.objects.filter(personal.matching(User, "phone", "13900000000"))) == [resident]
