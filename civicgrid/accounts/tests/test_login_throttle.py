"""Login throttling (accounts/throttle.py): failures counted per address + username, per
address and per username; a locked attempt checks no password and reads the same whichever
counter locked it and whether or not the account exists; the window's end unlocks."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from civicgrid.accounts.backends import CivicModelBackend
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.testing.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.CIVICGRID_LOGIN_FAILURE_LIMIT = 3
    settings.CIVICGRID_LOGIN_ADDRESS_LIMIT = 5
    settings.CIVICGRID_LOGIN_USERNAME_LIMIT = 4
    settings.CIVICGRID_LOGIN_WINDOW = 900
    cache.clear()  # the counters live in the cache
    yield settings
    cache.clear()


def attempt(client, username, password="wrong-password", address="203.0.113.5"):
    client.logout()
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("home")


def test_a_pair_is_locked_after_its_failures_and_other_accounts_are_not(client, world):
    for _ in range(3):
        response = attempt(client, "east-dispatcher")
        assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
    response = attempt(client, "east-dispatcher", PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert "登录失败次数过多，请在 15 分钟后再试" in response.content.decode()
    assert signed_in(attempt(client, "east-admin", PASSWORD))  # same address, other account
    assert signed_in(attempt(client, "east-dispatcher", PASSWORD, address="198.51.100.9"))


def test_one_address_trying_many_usernames_is_locked(client, world):
    # One failure each on five accounts, some of which do not exist: no pair reaches its limit.
    for name in ("east-dispatcher", "east-leader", "nobody-1", "west-admin", "nobody-2"):
        assert attempt(client, name).status_code == 200
    for name in ("east-admin", "east-cadre"):
        response = attempt(client, name, PASSWORD)
        assert response.status_code == 429 and "_auth_user_id" not in client.session
    # An IPv6 subscriber's /64 is one address.
    for host in range(1, 6):
        attempt(client, f"nobody-{host}", address=f"2001:db8:1:2::{host}")
    assert attempt(client, "east-admin", PASSWORD, address="2001:db8:1:2::99").status_code == 429
    assert signed_in(attempt(client, "east-admin", PASSWORD, address="2001:db8:1:3::1"))


def test_many_addresses_trying_one_username_are_locked_but_not_its_known_address(client, world):
    assert signed_in(attempt(client, "east-dispatcher", PASSWORD, address="198.51.100.7"))
    for host in range(1, 5):  # one failure from each of four addresses
        assert attempt(client, "east-dispatcher", address=f"203.0.113.{host}").status_code == 200
    response = attempt(client, "east-dispatcher", PASSWORD, address="203.0.113.50")
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    # The owner still signs in where they did before, and other accounts are not affected.
    assert signed_in(attempt(client, "east-dispatcher", PASSWORD, address="198.51.100.7"))
    assert signed_in(attempt(client, "east-admin", PASSWORD, address="203.0.113.50"))


def _lock_page(response) -> str:
    assert response.status_code == 429
    # The pages differ only in their per-response CSRF tokens.
    return re.sub(
        r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", response.content.decode()
    )


def test_the_refusal_reads_the_same_for_every_lock_and_any_account(client, world):
    for _ in range(3):  # a pair of an existing account, and of one that does not exist
        attempt(client, "east-dispatcher", address="192.0.2.1")
        attempt(client, "no-such-user", address="192.0.2.2")
    for name in ("a", "b", "c", "d", "e"):  # an address
        attempt(client, name, address="192.0.2.3")
    for host in range(10, 14):  # a username, from many addresses
        attempt(client, "east-leader", address=f"192.0.2.{host}")
    pages = {
        _lock_page(attempt(client, "east-dispatcher", PASSWORD, address="192.0.2.1")),
        _lock_page(attempt(client, "no-such-user", PASSWORD, address="192.0.2.2")),
        _lock_page(attempt(client, "east-dispatcher", PASSWORD, address="192.0.2.3")),
        _lock_page(attempt(client, "no-such-user", "x", address="192.0.2.3")),
        _lock_page(attempt(client, "east-leader", PASSWORD, address="192.0.2.99")),
    }
    assert len(pages) == 1
    page = pages.pop()
    assert "登录已被暂时锁定" in page and "east-" not in page and "no-such-user" not in page


def test_a_locked_attempt_checks_no_password_and_is_not_counted(client, world, monkeypatch):
    for _ in range(3):
        attempt(client, "east-dispatcher")

    def must_not_run(*args, **kwargs):
        raise AssertionError("a locked sign-in reached the password check")

    monkeypatch.setattr(CivicModelBackend, "authenticate", must_not_run)
    for _ in range(5):  # would reach the address's limit if they counted
        assert attempt(client, "east-dispatcher", PASSWORD).status_code == 429
    monkeypatch.undo()
    assert signed_in(attempt(client, "east-admin", PASSWORD))


def test_the_admin_login_is_throttled_too(client, world):
    root = UserFactory(username="root", role=Role.ADMIN, is_superuser=True, is_staff=True)
    root.set_password(PASSWORD)
    root.save()
    for _ in range(3):
        attempt(client, "root")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR="203.0.113.5"
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_success_resets_the_pair_but_not_the_address(client, world):
    attempt(client, "east-dispatcher")
    attempt(client, "east-dispatcher")
    assert signed_in(attempt(client, "east-dispatcher", PASSWORD))
    attempt(client, "east-dispatcher")
    attempt(client, "east-dispatcher")  # four failures in all, two since the success
    assert signed_in(attempt(client, "east-dispatcher", PASSWORD))
    attempt(client, "someone-else")  # the address's fifth failure: signing in reset nothing there
    assert attempt(client, "east-dispatcher", PASSWORD).status_code == 429


def test_the_end_of_the_window_unlocks(client, world):
    for name in ("a", "b", "c", "d", "e"):
        attempt(client, name)
    for _ in range(3):
        attempt(client, "east-dispatcher", address="198.51.100.1")
    assert attempt(client, "east-admin", PASSWORD).status_code == 429
    later = clock.now() + dt.timedelta(seconds=900 - 5)
    with time_machine.travel(later, tick=False):
        assert attempt(client, "east-admin", PASSWORD).status_code == 429
    with time_machine.travel(later + dt.timedelta(seconds=10), tick=False):
        assert signed_in(attempt(client, "east-admin", PASSWORD))
        assert signed_in(attempt(client, "east-dispatcher", PASSWORD, address="198.51.100.1"))
