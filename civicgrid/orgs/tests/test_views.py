"""Unit list and unit pages: scope, kind filter, restricted jurisdiction, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.orgs.choices import UnitKind
from civicgrid.orgs.models import Unit
from civicgrid.testing.permissions import assert_matrix

pytestmark = pytest.mark.django_db


def test_unit_list_scope(client, world):
    url = reverse("orgs:unit_list")
    assert_matrix(client, url, {Role.DISPATCHER: 200, Role.CADRE: 200, Role.RESIDENT: 404}, world.east.users)
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(url).content.decode()
    assert world.east.unit.get_absolute_url() in html
    assert world.shared_unit.get_absolute_url() in html  # district-level units are readable
    assert world.west.unit.get_absolute_url() not in html
    assert world.west.street.name not in html  # not even as a jurisdiction of a shared unit


def test_unit_list_filters_by_kind(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(reverse("orgs:unit_list"), {"kind": UnitKind.WATER}).content.decode()
    assert world.shared_unit.get_absolute_url() in html
    assert world.east.unit.get_absolute_url() not in html
    html = client.get(reverse("orgs:unit_list"), {"kind": "nonsense"}).content.decode()
    assert world.east.unit.get_absolute_url() in html  # an unknown kind is ignored


def test_unit_page_scope_and_jurisdiction(client, world):
    url = world.east.unit.get_absolute_url()
    assert url == reverse("orgs:unit", args=[world.east.unit.pk])
    assert_matrix(client, url, {Role.ADMIN: 200, Role.HANDLER: 200, Role.RESIDENT: 404}, world.east.users)
    assert_matrix(client, url, {Role.ADMIN: 404, Role.DISPATCHER: 404, Role.HANDLER: 404}, world.west.users)
    client.force_login(world.user("east", Role.ADMIN))
    html = client.get(url).content.decode()
    assert world.east.street.get_absolute_url() in html
    assert world.user("east", Role.HANDLER).get_absolute_url() in html  # the admin sees its staff
    assert reverse("core:object_history", args=["orgs", "unit", world.east.unit.pk]) in html


def test_shared_unit_page_lists_only_visible_jurisdiction(client, world):
    world.shared_unit.jurisdiction.add(world.east.street, world.west.street)
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(world.shared_unit.get_absolute_url()).content.decode()
    assert world.east.street.name in html
    assert world.west.street.name not in html


def test_unit_list_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world.user("east", Role.DISPATCHER))
    url = reverse("orgs:unit_list")
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    baseline = len(ctx.captured_queries)
    for i in range(12):
        unit = Unit.objects.create(
            kind=UnitKind.PROPERTY,
            code=f"E-PM-{i}",
            name=f"东物业{i}",
            district=world.district,
            street=world.east.street,
        )
        unit.jurisdiction.add(world.east.residential[i % 2], world.east.grids[i % 4])
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert "东物业11" in response.content.decode()


def test_unit_phone_masked_on_its_pages_and_revealed_to_the_desk_with_a_reason(client, world):
    from civicgrid.core.models import PersonalDataAccess

    unit = world.east.unit
    unit.phone = "021-65550110"
    unit.save()
    reveal = reverse("core:reveal", args=["orgs", "unit", unit.pk, "phone"])
    for role in (Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.CADRE, Role.HANDLER):
        client.force_login(world.user("east", role))
        for url in (unit.get_absolute_url(), reverse("orgs:unit_list")):
            html = client.get(url).content.decode()
            assert "65550110" not in html and "021****0110" in html, (role, url)
        offered = role in (Role.ADMIN, Role.DISPATCHER, Role.LEADER)
        assert (reveal in client.get(unit.get_absolute_url()).content.decode()) is offered, role
    assert not PersonalDataAccess.objects.exists()
    users = {f"east-{r}": world.user("east", r) for r in Role} | {
        f"west-{r}": world.user("west", r) for r in Role
    }
    expected = dict.fromkeys(users, 404) | {"east-admin": 200, "east-dispatcher": 200, "east-leader": 200}
    assert_matrix(client, reveal, expected, users, method="post", data={"reason": "联系处置"})
    rows = PersonalDataAccess.objects.all()
    assert (
        len(rows) == 3
        and {r.field for r in rows} == {"orgs.unit.phone"}
        and {r.reason for r in rows} == {"联系处置"}
    )
