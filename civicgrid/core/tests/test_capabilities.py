"""core.capabilities: the registry is the one source of who may do what; pages, navigation
and querysets follow it per role."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from civicgrid.core import capabilities
from civicgrid.core.capabilities import held_by, may, roles
from civicgrid.core.choices import Role
from civicgrid.core.querysets import RestrictedQuerySet
from civicgrid.core.scope import forget_scope
from civicgrid.testing.factories import UserFactory
from civicgrid.testing.permissions import assert_matrix

ROLES = list(Role.values)
STAFF = [r for r in ROLES if r != Role.RESIDENT]
PACKAGE = Path(settings.BASE_DIR) / "civicgrid"
# Role sets written out: frozenset({Role.…}), (Role.A, Role.B), {Role.A, Role.B}, frozenset(Role.values).
ROLE_SET = re.compile(r"frozenset\(\{?\s*Role\.|Role\.[A-Z_]+\s*,\s*Role\.|frozenset\(Role\.values\)")


def production_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        parts = set(rel.split("/"))
        if parts & {"tests", "migrations", "testing"} or path.name == "capabilities.py":
            continue
        yield rel, path


def test_no_role_set_outside_the_registry():
    found = [
        f"{rel}:{n}: {line.strip()}"
        for rel, path in production_modules()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ROLE_SET.search(line)
    ]
    assert not found, "role sets belong in <app>/capabilities.py:\n" + "\n".join(found)


def test_every_queryset_permission_names_a_capability():
    checked = 0
    for model in apps.get_models():
        qs = model._default_manager.all()
        if not isinstance(qs, RestrictedQuerySet):
            continue
        for action, name in type(qs).permissions.items():
            assert isinstance(name, str), (model, action)
            roles(name)  # raises UnknownCapability
            checked += 1
    assert checked > 20


def test_define_refuses_unknown_roles_and_a_second_definition(monkeypatch):
    monkeypatch.setattr(capabilities, "_registry", dict(capabilities._registry))
    capabilities.define("test.thing", {Role.ADMIN}, "x")
    capabilities.define("test.thing", {Role.ADMIN}, "x")  # the same again is harmless
    with pytest.raises(ValueError, match="already defined"):
        capabilities.define("test.thing", {Role.ADMIN, Role.LEADER})
    with pytest.raises(ValueError, match="unknown roles"):
        capabilities.define("test.other", {"janitor"})
    with pytest.raises(capabilities.UnknownCapability):
        may(None, "test.nothing")


def test_the_workflow_capabilities_hold_the_agreed_roles():
    desk = {Role.DISPATCHER, Role.ADMIN}
    assert roles("cases.desk") == desk
    assert roles("cases.handle") == {Role.HANDLER}
    assert roles("cases.verify") == desk | {Role.GRID_WORKER}
    assert roles("cases.supervise") == desk | {Role.LEADER}
    assert roles("cases.escalate") == desk | {Role.CADRE}
    assert roles("cases.comment") == set(STAFF)


def test_every_capability_has_a_label():
    for cap in capabilities.all_capabilities():
        assert str(cap.label), cap.name


# Who holds what, per role (the pages' matrices below check the same through the views).
HOLDERS = {
    "cases.import": {Role.ADMIN, Role.DISPATCHER},
    "privacy.reveal_phone": {Role.ADMIN, Role.DISPATCHER},
    "cases.workbench": {Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.CADRE},
    "cases.mobile": {Role.ADMIN, Role.DISPATCHER, Role.GRID_WORKER},
    "accounts.api_tokens": set(STAFF),
    "core.admin_site": {Role.ADMIN, Role.DISPATCHER, Role.LEADER},
    "core.read_registry": set(STAFF),
    "webhooks.manage": {Role.ADMIN},
}


@pytest.mark.django_db
def test_may_per_role(world):
    for name, holders in HOLDERS.items():
        for role in ROLES:
            assert may(world.user("east", role), name) is (role in holders), (name, role)


@pytest.mark.django_db
def test_superusers_hold_everything_anonymous_and_inactive_users_nothing(world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True, role=Role.ADMIN)
    everything = {c.name for c in capabilities.all_capabilities()}
    assert held_by(root) == everything
    assert held_by(None) == frozenset()
    gone = world.user("east", Role.ADMIN)
    gone.is_active = False
    assert held_by(gone) == frozenset()


@pytest.mark.django_db
def test_templates_get_the_capabilities_as_caps(client, world):
    user = world.user("east", Role.CADRE)
    client.force_login(user)
    caps = client.get(reverse("home")).context["caps"]
    assert "cases.workbench" in caps and "cases.import" not in caps
    assert set(caps) == held_by(user)


@pytest.mark.django_db
def test_one_cached_scope_per_user_object(world):
    user = world.user("east", Role.GRID_WORKER)
    assert user.scope is user.scope  # cached once, by user_scope()
    before = user.scope
    user.memberships.all().delete()
    forget_scope(user)  # the one cache to clear
    assert user.scope is not before and not user.scope.street_ids


# ------------------------------------------------------------------------- pages per role


@pytest.fixture
def everyone(world):
    users = {role: world.user("east", role) for role in ROLES}
    for user in users.values():  # the account switch on: only the role decides
        user.is_staff = True
        user.save()
    return users


def expect(holders, yes=200, no=404):
    return {role: yes if role in holders else no for role in ROLES}


@pytest.mark.django_db
def test_pages_follow_their_capability(client, everyone):
    pages = {
        "accounts:tokens": "accounts.api_tokens",
        "accounts:token_create": "accounts.api_tokens",
        "cases:import": "cases.import",
        "cases:workbench": "cases.workbench",
        "cases:mobile": "cases.mobile",
    }
    for url_name, name in pages.items():
        assert_matrix(client, reverse(url_name), expect(roles(name)), everyone)


@pytest.mark.django_db
def test_the_admin_site_admits_the_roles_that_work_there(client, everyone):
    # Other roles get the admin's login page, even with is_staff set.
    assert_matrix(client, reverse("admin:index"), expect(roles("core.admin_site"), no=302), everyone)


@pytest.mark.django_db
def test_nav_links_per_role(client, everyone):
    tokens, admin = f'href="{reverse("accounts:tokens")}"', f'href="{reverse("admin:index")}"'
    shown = {}
    for role, user in everyone.items():
        client.force_login(user)
        html = client.get(reverse("home"), follow=True).content.decode()  # a grid worker's: the patrol page
        shown[role] = (tokens in html, admin in html)
    assert shown[Role.RESIDENT] == (False, False)
    assert shown[Role.ADMIN] == (True, True)
    assert shown[Role.DISPATCHER] == (True, True)
    assert shown[Role.LEADER] == (True, True)
    for role in (Role.HANDLER, Role.GRID_WORKER, Role.CADRE):
        assert shown[role] == (True, False), role


@pytest.mark.django_db
def test_no_admin_link_without_the_account_switch(client, world):
    client.force_login(world.user("east", Role.ADMIN))  # is_staff off
    assert f'href="{reverse("admin:index")}"' not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_home_page_links_follow_the_capabilities(client, everyone):
    search = f'href="{reverse("geo:building_search")}"'
    for role, user in everyone.items():
        client.force_login(user)
        html = client.get(reverse("home"), follow=True).content.decode()
        assert (search in html) is may(user, "core.read_registry"), role
