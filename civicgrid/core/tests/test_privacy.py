"""Personal data is masked unless the role needs it, and every reveal is logged
(core.privacy, PersonalDataAccess and its scoped, read-only admin)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import make_case
from civicgrid.core.choices import Role
from civicgrid.core.errors import Forbidden, InvalidInput
from civicgrid.core.models import PersonalDataAccess
from civicgrid.core.privacy import (
    RevealVia,
    mask_phone,
    may_reveal_phone,
    reporter_view,
    reveal,
)
from civicgrid.testing.permissions import assert_matrix

pytestmark = pytest.mark.django_db


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(" 021-55556666 ") == "021****6666"
    assert mask_phone("1234567") == "*******"
    assert mask_phone("") == "" and mask_phone(None) == ""  # type: ignore[arg-type]


def test_reporter_view_always_masks_the_phone():
    assert reporter_view("王先生", "13812345678", False, desk=True) == {
        "name": "王先生",
        "phone": "138****5678",
        "anonymous": False,
    }
    assert reporter_view("王先生", "13812345678", False, desk=False)["phone"] == "138****5678"
    # An anonymous reporter: the desk keeps the name (to call back), others see nothing.
    assert reporter_view("李女士", "13812345678", True, desk=True) == {
        "name": "李女士",
        "phone": "138****5678",
        "anonymous": True,
    }
    assert reporter_view("李女士", "13812345678", True, desk=False) == {
        "name": "匿名",
        "phone": "",
        "anonymous": True,
    }


def test_only_the_desk_may_reveal_phones(world, django_user_model):
    for role in Role:
        assert may_reveal_phone(world.user("east", role)) is (role in {Role.DISPATCHER, Role.ADMIN}), role
    root = django_user_model.objects.create_superuser("root-privacy", password="x")
    assert may_reveal_phone(root)
    assert not may_reveal_phone(None)


def test_reveal_writes_one_row_and_returns_the_value(world):
    case = make_case(world, reporter_phone="13812345678")
    user = world.user("east", Role.DISPATCHER)
    value = reveal(user, case, "reporter_phone", reason=" 核实 ", via=RevealVia.API)
    assert value == "13812345678" and type(value) is str
    row = PersonalDataAccess.objects.get()
    assert row.user == user and row.user_label == user.username
    assert row.field == "cases.case.reporter_phone" and row.via == "api" and row.reason == "核实"
    assert row.content_type == ContentType.objects.get_for_model(Case) and row.object_id == str(case.pk)
    assert row.object_repr == str(case) and row.street_id == world.east.street.pk and row.at is not None
    assert "联系电话" in str(row)
    # Nothing to reveal, nothing to log.
    empty = make_case(world, reporter_phone="")
    assert reveal(user, empty, "reporter_phone", reason="核实", via=RevealVia.WEB) == ""
    assert PersonalDataAccess.objects.count() == 1


def test_reveal_needs_a_reason_and_the_fields_capability(world):
    case = make_case(world, reporter_phone="13812345678")
    with pytest.raises(InvalidInput) as refused:
        reveal(world.user("east", Role.DISPATCHER), case, "reporter_phone", reason="  ", via=RevealVia.WEB)
    assert refused.value.fields == {"reason": "required"}
    with pytest.raises(Forbidden):
        reveal(world.user("east", Role.LEADER), case, "reporter_phone", reason="核实", via=RevealVia.WEB)
    assert not PersonalDataAccess.objects.exists()


def test_reveal_refuses_unknown_fields_and_channels(world):
    case = make_case(world)
    user = world.user("east", Role.DISPATCHER)
    with pytest.raises(ValueError):
        reveal(user, case, "reporter_name", reason="核实", via=RevealVia.WEB)  # not personal data here
    with pytest.raises(ValueError):
        reveal(user, case, "reporter_phone", reason="核实", via="email")
    assert not PersonalDataAccess.objects.exists()


def test_the_log_outlives_the_account(world, django_user_model):
    case = make_case(world)
    temp = django_user_model.objects.create_superuser("temp-privacy", password="x")
    reveal(temp, case, "reporter_phone", reason="核实", via=RevealVia.WEB)
    temp.delete()
    row = PersonalDataAccess.objects.get()
    assert row.user is None and row.user_label == "temp-privacy"


# ---------------------------------------------------------------------------- scope and admin


@pytest.fixture
def reveals(world):
    """One reveal in each street, by that street's dispatcher."""
    rows = {}
    for street in ("east", "west"):
        case = make_case(world, street=street, reporter_phone="13812345678")
        reveal(world.user(street, Role.DISPATCHER), case, "reporter_phone", reason="回访", via=RevealVia.WEB)
        rows[street] = PersonalDataAccess.objects.get(object_id=str(case.pk))
    return rows


def test_restrict_admins_and_leaders_read_their_street(world, reveals):
    for role in (Role.ADMIN, Role.LEADER):
        seen = set(PersonalDataAccess.objects.restrict(world.user("east", role), "view"))
        assert seen == {reveals["east"]}, role
    for role in (Role.DISPATCHER, Role.CADRE, Role.GRID_WORKER, Role.HANDLER, Role.RESIDENT):
        assert not PersonalDataAccess.objects.restrict(world.user("east", role), "view").exists(), role


@pytest.fixture
def staff(world):
    users = {}
    for role in (Role.ADMIN, Role.LEADER, Role.DISPATCHER):
        user = world.user("east", role)
        user.is_staff = True
        user.save()
        users[role] = user
    return users


def test_admin_list_is_scoped_by_street(client, world, reveals, staff):
    url = reverse("admin:core_personaldataaccess_changelist")
    east_case = Case.objects.get(pk=reveals["east"].object_id)
    west_case = Case.objects.get(pk=reveals["west"].object_id)
    for role in (Role.ADMIN, Role.LEADER):
        client.force_login(staff[role])
        response = client.get(url)
        assert response.status_code == 200, role
        html = response.content.decode()
        assert east_case.number in html and west_case.number not in html, role
        assert "east-dispatcher" in html and "west-dispatcher" not in html, role
    assert_matrix(client, url, {Role.DISPATCHER: 403}, staff)
    client.force_login(staff[Role.ADMIN])
    assert (
        reverse("admin:core_personaldataaccess_changelist")
        in client.get(reverse("admin:index")).content.decode()
    )


def test_admin_rows_are_read_only_and_other_streets_404(client, world, reveals, staff):
    client.force_login(staff[Role.ADMIN])
    east, west = reveals["east"], reveals["west"]
    assert client.get(reverse("admin:core_personaldataaccess_change", args=[west.pk])).status_code == 404
    page = client.get(reverse("admin:core_personaldataaccess_change", args=[east.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(reverse("admin:core_personaldataaccess_delete", args=[east.pk]), {"post": "yes"})
    assert response.status_code == 403 and PersonalDataAccess.objects.filter(pk=east.pk).exists()
    assert client.get(reverse("admin:core_personaldataaccess_add")).status_code == 403
