"""Object history, role-aware navigation and the language switch."""

import pytest
from django.urls import reverse

from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Role
from civicgrid.testing.permissions import assert_matrix

pytestmark = pytest.mark.django_db


def history_url(obj):
    return reverse("core:object_history", args=[obj._meta.app_label, obj._meta.model_name, obj.pk])


def test_history_shows_before_and_after(client, world):
    area = world.east.residential[0]
    with acting_as(world.user("east", Role.ADMIN), "web"):
        area.name = "改名居民区"
        area.save()
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.get(history_url(area))
    html = response.content.decode()
    assert response.status_code == 200
    assert "east-admin" in html and "修改" in html
    assert '<td class="before">东1居民区</td>' in html
    assert '<td class="after">改名居民区</td>' in html
    assert "名称" in html  # field label, not the attribute name


def test_history_follows_the_objects_scope(client, world):
    for obj in [world.west.grids[0], world.west.buildings[0], world.west.unit]:
        assert_matrix(client, history_url(obj), {Role.DISPATCHER: 404, Role.ADMIN: 404}, world.east.users)
    assert_matrix(
        client,
        history_url(world.east.grids[0]),
        {Role.DISPATCHER: 200, Role.GRID_WORKER: 200, Role.RESIDENT: 404},
        world.east.users,
    )
    assert client.get(history_url(world.east.grids[0])).status_code == 302  # anonymous → login


def test_history_only_for_audited_restricted_models(client, world):
    client.force_login(world.user("east", Role.ADMIN))
    user = world.user("east", Role.DISPATCHER)
    assert client.get(history_url(user)).status_code == 404  # User is not an audited registry model
    assert client.get(reverse("core:object_history", args=["geo", "nosuch", 1])).status_code == 404
    assert client.get(reverse("core:object_history", args=["core", "auditlog", 1])).status_code == 404
    assert client.get(reverse("core:object_history", args=["geo", "area", "abc"])).status_code == 404


def test_nav_links_follow_the_role(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(reverse("home")).content.decode()
    for name in ["geo:area_list", "geo:building_search", "orgs:unit_list"]:
        assert f'href="{reverse(name)}"' in html
    assert 'href="/admin/"' not in html
    assert f'href="{reverse("webhooks:list")}"' not in html  # subscriptions are the administrators'
    assert 'action="/i18n/setlang/"' in html and 'action="/accounts/logout/"' in html

    client.force_login(world.user("east", Role.RESIDENT))
    html = client.get(reverse("home")).content.decode()
    for name in ["geo:area_list", "geo:building_search", "orgs:unit_list"]:
        assert f'href="{reverse(name)}"' not in html

    admin = world.user("east", Role.ADMIN)
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    html = client.get(reverse("home")).content.decode()
    assert 'href="/admin/"' in html and f'href="{reverse("webhooks:list")}"' in html


def test_language_switch_to_english(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(reverse("home")).content.decode()
    assert "楼栋查询" in html and 'lang="zh-hans"' in html
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    html = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in html
    for english in [">Home<", ">Areas<", ">Building search<", ">Handling units<", "Log out", "My streets"]:
        assert english in html, english
    assert "楼栋查询" not in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    assert "楼栋查询" in client.get(reverse("home")).content.decode()


def test_chinese_by_default_even_for_an_english_browser(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_language_switch_sets_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    response = client.get("/accounts/login/")
    assert response["Content-Language"] == "en"
    assert "Log in" in response.content.decode()
