"""Login (its throttle: test_login_throttle.py), logout by POST, the per-role home page, my
account and user pages."""

import pytest
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.testing.factories import PASSWORD
from civicgrid.testing.permissions import assert_matrix

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_and_logs_in(client, world):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "用户名" in response.content.decode() and 'lang="zh-hans"' in response.content.decode()
    response = client.post(reverse("accounts:login"), {"username": "east-dispatcher", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(world.user("east", Role.DISPATCHER).pk)


def test_wrong_password_shows_error(client, world):
    response = client.post(reverse("accounts:login"), {"username": "east-dispatcher", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_needs_post(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_my_account_page(client, world):
    assert client.get(reverse("accounts:me")).status_code == 302
    user = world.user("east", Role.CADRE)
    client.force_login(user)
    html = client.get(reverse("accounts:me")).content.decode()
    assert user.full_name in html and "居委干部" in html
    assert world.east.residential[0].name in html


def test_user_page_scope(client, world):
    target = world.user("east", Role.GRID_WORKER)
    url = target.get_absolute_url()
    assert url == reverse("accounts:user", args=[target.pk])
    expected = {Role.ADMIN: 200, Role.LEADER: 200, Role.DISPATCHER: 404, Role.RESIDENT: 404}
    assert_matrix(client, url, expected, world.east.users)
    assert_matrix(client, url, {Role.ADMIN: 404, Role.LEADER: 404}, world.west.users)
    client.force_login(world.user("east", Role.ADMIN))
    html = client.get(url).content.decode()
    assert "网格员" in html and world.east.grids[0].name in html


def test_home_is_per_role(client, world):
    home = reverse("home")
    response = client.get(home)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))

    def check(response, role):
        html = response.content.decode()
        assert world.west.street.name not in html, role
        if role in (Role.ADMIN, Role.DISPATCHER, Role.LEADER):
            assert "我的街道" in html and world.east.street.get_absolute_url() in html
            # 2 residential areas, 4 grids, 4 buildings, 1 unit of the street
            assert "<strong>2</strong>居民区" in html and "<strong>4</strong>网格" in html
            assert "<strong>4</strong>楼栋" in html and "<strong>1</strong>处置单位" in html
        elif role == Role.CADRE:
            assert "我的居民区" in html and world.east.residential[0].get_absolute_url() in html
            assert world.east.residential[1].get_absolute_url() not in html
            assert "<strong>2</strong>网格" in html
        elif role == Role.GRID_WORKER:  # home is the patrol page
            assert response["Location"] == reverse("cases:mobile")
        elif role == Role.HANDLER:
            assert "我的单位" in html and world.east.unit.get_absolute_url() in html
            assert "/cases/tasks/" in html
        elif role == Role.RESIDENT:
            assert "/report/follow/" in html and "/geo/" not in html

    expected = {**dict.fromkeys(Role.values, 200), Role.GRID_WORKER: 302}
    assert_matrix(client, home, expected, world.east.users, check=check)
