"""The Django admin is scoped like the site: a street admin sees and edits only their street."""

import json

import pytest
from django.urls import reverse

from civicgrid.accounts.models import Membership
from civicgrid.core.choices import AuditEvent, Role
from civicgrid.core.models import AuditLog
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area, Building
from civicgrid.testing.permissions import assert_matrix

pytestmark = pytest.mark.django_db


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def staff(world):
    """East and west admins and dispatchers may use the admin."""
    users = {}
    for street in ("east", "west"):
        for role in (Role.ADMIN, Role.DISPATCHER):
            user = world.user(street, role)
            user.is_staff = True
            user.save()
    users = {role: world.user("east", role) for role in (Role.ADMIN, Role.DISPATCHER)}
    return users


def test_change_page_of_own_street_grid_and_not_of_the_other(client, world, staff):
    assert_matrix(client, change_url(world.east.grids[0]), {Role.ADMIN: 200, Role.DISPATCHER: 200}, staff)

    west_grid = change_url(world.west.grids[0])
    assert_matrix(client, west_grid, {Role.ADMIN: 404, Role.DISPATCHER: 404}, staff)
    for obj in [world.west.buildings[0], world.west.unit, world.user("west", Role.CADRE)]:
        assert_matrix(client, change_url(obj), {Role.ADMIN: 404}, staff)
        delete_url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_delete", args=[obj.pk])
        assert_matrix(client, delete_url, {Role.ADMIN: 404}, staff)


def test_non_staff_and_other_roles_are_kept_out(client, world, staff):
    url = change_url(world.east.grids[0])
    assert_matrix(client, url, {Role.CADRE: 302, Role.RESIDENT: 302}, world.east.users)
    client.force_login(world.user("east", Role.CADRE))
    assert client.get(url)["Location"].startswith(reverse("admin:login"))


def test_changelist_lists_only_own_street(client, world, staff):
    client.force_login(staff[Role.ADMIN])
    html = client.get(reverse("admin:geo_area_changelist"), {"kind": AreaKind.GRID}).content.decode()
    for grid in world.east.grids:
        assert grid.code in html
    for grid in world.west.grids:
        assert grid.code not in html
    html = client.get(reverse("admin:geo_building_changelist"), {"q": "路 1 1号"}).content.decode()
    assert "东路11号" in html and "西路11号" not in html
    html = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:geo_area_changelist") in html
    assert reverse("admin:core_auditlog_changelist") in html
    client.force_login(staff[Role.DISPATCHER])
    html = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:core_auditlog_changelist") not in html  # dispatchers read histories per object


def test_audit_log_admin_shows_only_own_street_read_only(client, world, staff):
    for street in (world.east, world.west):
        street.unit.phone = "021-0000"
        street.unit.save()
    client.force_login(staff[Role.ADMIN])
    html = client.get(reverse("admin:core_auditlog_changelist"), {"all": ""}).content.decode()
    assert world.east.unit.name in html and world.west.unit.name not in html
    west_row = AuditLog.for_object(world.west.unit).first()
    change = reverse("admin:core_auditlog_change", args=[west_row.pk])
    assert client.get(change).status_code == 404
    east_row = AuditLog.for_object(world.east.unit).first()
    response = client.post(reverse("admin:core_auditlog_delete", args=[east_row.pk]), {"post": "yes"})
    assert response.status_code == 403 and AuditLog.objects.filter(pk=east_row.pk).exists()


def area_form(area, **overrides):
    data = {
        "kind": area.kind,
        "code": area.code,
        "name": area.name,
        "parent": area.parent_id or "",
        "geometry": json.dumps(area.geometry),
        "description": area.description,
        "_save": "保存",
    }
    data.update(overrides)
    return data


def test_admin_update_is_audited_and_shown_in_history(client, world, staff):
    area = world.east.residential[1]
    client.force_login(staff[Role.ADMIN])
    response = client.post(change_url(area), area_form(area, name="新名字居民区"))
    assert response.status_code == 302, response.content.decode()[:2000]
    area.refresh_from_db()
    assert area.name == "新名字居民区"
    log = AuditLog.for_object(area).filter(event=AuditEvent.UPDATE).get()
    assert log.via == "admin" and log.actor == staff[Role.ADMIN]
    assert log.changes["name"] == ["东2居民区", "新名字居民区"]

    history = reverse("core:object_history", args=["geo", "area", area.pk])
    assert client.get(reverse("admin:geo_area_history", args=[area.pk]))["Location"] == history
    html = client.get(history).content.decode()
    assert '<td class="before">东2居民区</td>' in html and '<td class="after">新名字居民区</td>' in html


def test_other_staff_roles_are_read_only(client, world, staff):
    area = world.east.residential[1]
    client.force_login(staff[Role.DISPATCHER])
    html = client.get(change_url(area)).content.decode()
    assert 'name="_save"' not in html
    response = client.post(change_url(area), area_form(area, name="调度员改名"))
    assert response.status_code == 403
    area.refresh_from_db()
    assert area.name == "东2居民区"


def test_foreign_key_choices_are_restricted(client, world, staff):
    client.force_login(staff[Role.ADMIN])
    html = client.get(reverse("admin:geo_area_add")).content.decode()
    assert f'value="{world.east.residential[0].pk}"' in html
    assert f'value="{world.west.residential[0].pk}"' not in html
    new = {
        "kind": AreaKind.GRID,
        "code": "X-NEW",
        "name": "偷挂网格",
        "parent": world.west.residential[0].pk,
        "geometry": json.dumps(
            {
                "type": "Polygon",
                "coordinates": [[[121.0, 31.0], [121.001, 31.0], [121.001, 31.001], [121.0, 31.0]]],
            }
        ),
        "description": "",
        "_save": "保存",
    }
    response = client.post(reverse("admin:geo_area_add"), new)
    assert response.status_code == 200 and not Area.objects.filter(code="X-NEW").exists()

    # Memberships: no binding of a user to another street's area.
    html = client.get(reverse("admin:accounts_membership_add")).content.decode()
    assert f'value="{world.west.street.pk}"' not in html
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {
            "user": world.user("east", Role.RESIDENT).pk,
            "area": world.west.street.pk,
            "title": "",
            "_save": "保存",
        },
    )
    assert response.status_code == 200
    assert (
        not Membership.objects.filter(area=world.west.street)
        .exclude(user__username__startswith="west")
        .exists()
    )


def test_building_outside_own_street_is_refused(client, world, staff):
    client.force_login(staff[Role.ADMIN])
    data = {
        "address": "西路99号",
        "name": "",
        "lon": 121.015,
        "lat": 31.205,
        "floors": "",
        "households": "",
        "built_year": "",
        "_save": "保存",
    }
    response = client.post(reverse("admin:geo_building_add"), data)
    assert response.status_code == 200
    assert "不在你可管理的街道内" in response.content.decode()
    assert not Building.objects.filter(normalized_address="西路99号").exists()
    data.update(address="东路99号", lon=121.056, lat=31.206)
    assert client.post(reverse("admin:geo_building_add"), data).status_code == 302
    assert Building.objects.get(normalized_address="东路99号").street == world.east.street


def test_street_admin_cannot_grant_superuser(client, world, staff):
    client.force_login(staff[Role.ADMIN])
    html = client.get(change_url(world.user("east", Role.CADRE))).content.decode()
    assert 'name="is_superuser"' not in html and 'name="user_permissions"' not in html
    assert 'name="is_staff"' in html


def test_superuser_sees_everything(client, world, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "root-pass-123456")
    client.force_login(root)
    for obj in [world.east.grids[0], world.west.grids[0], world.west.unit]:
        assert client.get(change_url(obj)).status_code == 200
    assert client.get(reverse("admin:core_auditlog_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["case", "dutyrule"])
def test_relational_list_filters_offer_only_own_street(client, world, staff, model):
    """The street filter of cases and duty rules lists what restrict() gives, not every area."""
    client.force_login(world.user("east", Role.ADMIN))
    response = client.get(reverse(f"admin:cases_{model}_changelist"))
    assert response.status_code == 200
    offered = {
        str(name)
        for spec in response.context["cl"].filter_specs
        for _pk, name in getattr(spec, "lookup_choices", [])
    }
    assert str(world.east.street) in offered
    hidden = {str(a) for a in (world.west.street, *world.west.residential, *world.west.grids)}
    assert not offered & hidden
    assert all(label not in response.content.decode() for label in hidden)


def test_view_on_site_redirects_only_to_objects_in_scope(client, world, staff):
    from django.contrib.contenttypes.models import ContentType

    from civicgrid.cases.tests.factories import make_case

    case, west_case = make_case(world), make_case(world, street="west")
    kind = ContentType.objects.get_for_model(case).pk
    client.force_login(world.user("east", Role.ADMIN))
    shown = client.get(reverse("admin:view_on_site", args=[kind, case.pk]))
    assert shown["Location"].endswith(case.get_absolute_url())
    refused = client.get(reverse("admin:view_on_site", args=[kind, west_case.pk]))
    assert refused.status_code == 404 and west_case.number not in refused.content.decode()
    assert client.get(reverse("admin:view_on_site", args=[kind, "x"])).status_code == 404
