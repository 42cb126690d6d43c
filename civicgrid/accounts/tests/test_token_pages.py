"""/accounts/tokens/: my tokens, integrations for administrators, and the Django admin."""

import pytest
from django.urls import reverse

from civicgrid.accounts import actions, tokens
from civicgrid.accounts.models import ApiClient, ApiToken, Membership, User
from civicgrid.core import audit
from civicgrid.core.choices import Role
from civicgrid.testing.factories import PASSWORD
from civicgrid.testing.permissions import assert_matrix

pytestmark = pytest.mark.django_db

ROLES = list(Role.values)


def users_of(world, street="east"):
    return {role: world.user(street, role) for role in ROLES}


@pytest.fixture
def hotline(world):
    return actions.create_integration(
        world.user("east", Role.ADMIN),
        name="12345 平台",
        streets=[world.east.street],
        role=Role.DISPATCHER,
    )


def test_every_staff_role_has_a_tokens_page_and_only_admins_see_integrations(client, world, hotline):
    def check(response, role):
        if role == Role.RESIDENT:
            return
        html = response.content.decode()
        assert "我的 API 令牌" in html
        assert ("12345 平台" in html) is (role == Role.ADMIN)

    # Residents have no token pages (accounts.api_tokens): 404, as for any page a role has no use for.
    expected = {**dict.fromkeys(ROLES, 200), Role.RESIDENT: 404}
    assert_matrix(client, reverse("accounts:tokens"), expected, users_of(world), check=check)
    assert_matrix(client, reverse("accounts:token_create"), expected, users_of(world))
    assert client.get(reverse("accounts:tokens")).status_code == 302  # anonymous: to the login page


def test_integration_pages_are_for_their_streets_administrators(client, world, hotline):
    users = {**users_of(world), "west-admin": world.user("west", Role.ADMIN)}
    expected = {**dict.fromkeys(ROLES, 404), Role.ADMIN: 200, "west-admin": 404}
    assert_matrix(client, hotline.get_absolute_url(), expected, users)
    assert_matrix(client, reverse("accounts:integration_edit", args=[hotline.pk]), expected, users)
    assert_matrix(client, reverse("accounts:integration_create"), {**expected, "west-admin": 200}, users)


def test_create_shows_the_token_once(client, world):
    user = world.user("east", Role.GRID_WORKER)
    client.force_login(user)
    response = client.post(
        reverse("accounts:token_create"),
        {"name": "巡查脚本", "scopes": ["cases:write", "geo:read"], "expires_days": "30"},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=user)
    key = response.context["issued"].key
    assert key in response.content.decode() and tokens.hash_key(key) == token.key_hash
    assert token.scopes == ["cases:write", "geo:read"] and token.name == "巡查脚本"
    assert token.expires_at is not None and token.rate_limit is None
    listing = client.get(reverse("accounts:tokens")).content.decode()
    assert token.prefix in listing and "巡查脚本" in listing and key not in listing
    assert token.key_hash not in listing


def test_create_defaults_and_validation(client, world):
    client.force_login(world.user("east", Role.CADRE))
    form = client.get(reverse("accounts:token_create"))
    assert form.status_code == 200 and form.context["form"]["scopes"].initial == ["read"]
    bad = client.post(reverse("accounts:token_create"), {"name": "x", "scopes": ["cases:delete"]})
    assert bad.status_code == 200 and not ApiToken.objects.exists()
    assert bad.context["form"].errors["scopes"]
    # A rate limit is not the user's to choose for their own token.
    client.post(reverse("accounts:token_create"), {"scopes": ["read"], "rate_limit": "100000"})
    assert ApiToken.objects.get().rate_limit is None


def test_revoke_asks_then_revokes_and_only_ones_own(client, world):
    mine = tokens.issue(world.user("east", Role.DISPATCHER)).token
    theirs = tokens.issue(world.user("east", Role.LEADER)).token
    client.force_login(world.user("east", Role.DISPATCHER))
    url = reverse("accounts:token_revoke", args=[mine.pk])
    assert "确认撤销" in client.get(url).content.decode()
    mine.refresh_from_db()
    assert mine.revoked_at is None  # GET only asks
    assert client.post(url).status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert client.post(reverse("accounts:token_revoke", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("accounts:token_revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_an_admin_creates_an_integration_and_its_token(client, world):
    admin = world.user("east", Role.ADMIN)
    client.force_login(admin)
    url = reverse("accounts:integration_create")
    # A street outside the administrator's scope is not on offer.
    refused = client.post(
        url, {"name": "12345 平台", "streets": [world.west.street.pk], "role": Role.DISPATCHER}
    )
    assert refused.status_code == 200 and not ApiClient.objects.exists()
    response = client.post(
        url,
        {
            "name": "12345 平台",
            "description": "热线",
            "streets": [world.east.street.pk],
            "role": Role.DISPATCHER,
        },
    )
    client_ = ApiClient.objects.get()
    assert response.status_code == 302 and response["Location"] == client_.get_absolute_url()
    account = client_.service_account
    assert account.is_service_account and account.role == Role.DISPATCHER
    assert list(Membership.objects.filter(user=account).values_list("area_id", flat=True)) == [
        world.east.street.pk
    ]

    response = client.post(
        reverse("accounts:integration_token_create", args=[client_.pk]),
        {"name": "生产", "scopes": ["cases:write"], "expires_days": "", "rate_limit": "1200"},
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=account)
    assert token.rate_limit == 1200 and token.expires_at is None and token.scopes == ["cases:write"]
    assert response.context["issued"].key in response.content.decode()
    detail = client.get(client_.get_absolute_url()).content.decode()
    assert token.prefix in detail and response.context["issued"].key not in detail

    # The administrator revokes it; the user menu's "my tokens" does not list it.
    assert (
        token.prefix not in client.get(reverse("accounts:tokens")).content.decode().split("外部系统接入")[0]
    )
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_editing_an_integration_moves_its_account(client, world, hotline, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client.force_login(superuser)
    response = client.post(
        reverse("accounts:integration_edit", args=[hotline.pk]),
        {"name": "12345 平台", "streets": [world.west.street.pk], "role": Role.LEADER},  # active unticked
    )
    assert response.status_code == 302
    account = User.objects.get(pk=hotline.service_account_id)
    assert account.role == Role.LEADER and not account.is_active
    assert account.get_scope().street_ids == frozenset({world.west.street.pk})


def test_service_accounts_cannot_log_in_through_the_form(client, hotline):
    account = hotline.service_account
    account.set_password(PASSWORD)
    account.save()
    response = client.post(reverse("accounts:login"), {"username": account.username, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_the_menu_links_to_the_tokens_page(client, world):
    client.force_login(world.user("east", Role.CADRE))
    assert reverse("accounts:tokens") in client.get(reverse("accounts:me")).content.decode()


# --------------------------------------------------------------------------- Django admin


def test_admin_never_shows_the_hash_and_cannot_add_tokens(client, world, hotline, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password=PASSWORD)
    token = tokens.issue(world.user("east", Role.DISPATCHER), name="脚本").token
    client.force_login(superuser)
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    change = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    assert token.prefix in listing and "脚本" in change
    assert token.key_hash not in listing and token.key_hash not in change
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    response = client.post(
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        {"name": "脚本", "scopes": ["geo:write"], "expires_at_0": "", "expires_at_1": "", "rate_limit": "10"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    token.refresh_from_db()
    assert token.scopes == ["geo:write"] and token.rate_limit == 10


def test_admin_adds_an_integration_with_its_service_account(client, world, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_apiclient_add"),
        {
            "name": "城运中心大屏",
            "description": "",
            "active": "on",
            "streets": [world.west.street.pk],
            "role": Role.LEADER,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = ApiClient.objects.get(name="城运中心大屏")
    account = created.service_account
    assert account.is_service_account and account.role == Role.LEADER and not account.has_usable_password()
    assert account.get_scope().street_ids == frozenset({world.west.street.pk})


def test_admin_integrations_are_scoped_to_the_street(client, world, hotline):
    east_admin, west_admin = world.user("east", Role.ADMIN), world.user("west", Role.ADMIN)
    User.objects.filter(pk__in=[east_admin.pk, west_admin.pk]).update(is_staff=True)
    url = reverse("admin:accounts_apiclient_change", args=[hotline.pk])
    assert_matrix(client, url, {"east": 200, "west": 404}, {"east": east_admin, "west": west_admin})


def test_the_history_page_names_the_token(client, world, hotline):
    admin = world.user("east", Role.ADMIN)
    with audit.api_token_scope():
        audit.set_api_token(41, "cg_abcde… 12345 平台")
        with audit.acting_as(hotline.service_account, "api"):
            hotline.description = "市民服务热线"
            hotline.save()
    client.force_login(admin)
    url = reverse("core:object_history", args=["accounts", "apiclient", hotline.pk])
    html = client.get(url).content.decode()
    assert "cg_abcde… 12345 平台" in html and "市民服务热线" in html
    assert html.count("cg_abcde…") == 1  # only the API write, not the creation


def test_a_service_account_cannot_be_made_staff_in_the_admin(client, hotline, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client.force_login(superuser)
    page = client.get(reverse("admin:accounts_user_change", args=[hotline.service_account_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="is_active"' in html and 'name="is_staff"' not in html and 'name="is_superuser"' not in html


def test_the_tokens_page_does_not_query_per_row(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = world.user("east", Role.ADMIN)
    client.force_login(admin)

    def add(n):
        for i in range(n):
            made = actions.create_integration(
                admin, name=f"接入{n}-{i}", streets=[world.east.street], role=Role.LEADER
            )
            actions.issue_token(admin, made.service_account)
            actions.issue_token(admin, admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("accounts:tokens")).status_code == 200
        return len(ctx.captured_queries)

    add(1)
    few = count()
    add(3)
    assert count() == few


# --------------------------------------------------------------------------- names per street


def test_integration_names_are_unique_per_street(client, world, hotline):
    """A name taken in one's own street is refused, naming that street; another street's
    integration of the same name neither blocks the name nor shows through a message."""
    form = {"name": "12345 平台", "description": "", "role": Role.DISPATCHER}
    client.force_login(world.user("east", Role.ADMIN))
    refused = client.post(reverse("accounts:integration_create"), {**form, "streets": [world.east.street.pk]})
    assert refused.status_code == 200 and ApiClient.objects.count() == 1
    assert refused.context["form"].errors["name"] == [f"{world.east.street.name}已有同名的外部系统接入"]

    client.force_login(world.user("west", Role.ADMIN))
    made = client.post(reverse("accounts:integration_create"), {**form, "streets": [world.west.street.pk]})
    assert made.status_code == 302 and ApiClient.objects.filter(name="12345 平台").count() == 2
    west = ApiClient.objects.get(name="12345 平台", streets=world.west.street)
    # Renaming is checked the same way: the west one keeps its name, the east one is not named.
    kept = client.post(
        reverse("accounts:integration_edit", args=[west.pk]),
        {**form, "active": "on", "streets": [world.west.street.pk]},
    )
    assert kept.status_code == 302


def test_the_action_refuses_a_taken_name_in_any_of_its_streets(world, hotline, django_user_model):
    from django.core.exceptions import ValidationError

    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    with pytest.raises(ValidationError, match=world.east.street.name):
        actions.create_integration(
            root, name="12345 平台", streets=[world.west.street, world.east.street], role=Role.LEADER
        )
    assert ApiClient.objects.count() == 1


def test_admin_form_checks_the_name_per_street(client, world, hotline):
    admin = world.user("east", Role.ADMIN)
    User.objects.filter(pk=admin.pk).update(is_staff=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_apiclient_add"),
        {
            "name": "12345 平台",
            "description": "",
            "active": "on",
            "streets": [world.east.street.pk],
            "role": "leader",
        },
    )
    assert response.status_code == 200 and ApiClient.objects.count() == 1
    assert f"{world.east.street.name}已有同名的外部系统接入" in response.content.decode()


def test_the_command_asks_for_the_street_when_a_name_is_in_several(world, hotline):
    import io

    from django.core.management import CommandError, call_command

    actions.create_integration(
        world.user("west", Role.ADMIN), name="12345 平台", streets=[world.west.street], role=Role.DISPATCHER
    )
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    with pytest.raises(CommandError, match="--street"):
        call_command("create_api_token", "--integration", "12345 平台", **quiet)
    call_command(
        "create_api_token", "--integration", "12345 平台", "--street", world.west.street.code, **quiet
    )
    west = ApiClient.objects.get(name="12345 平台", streets=world.west.street)
    assert ApiToken.objects.filter(user=west.service_account).count() == 1


def test_the_integration_page_lists_only_memberships_in_scope(client, world, django_user_model):
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    both = actions.create_integration(
        root, name="全区平台", streets=[world.east.street, world.west.street], role=Role.DISPATCHER
    )
    Membership.objects.create(user=both.service_account, area=world.west.grids[0], title="西区网格")
    client.force_login(world.user("east", Role.ADMIN))
    page = client.get(reverse("accounts:integration", args=[both.pk]))
    assert page.status_code == 200
    shown = {(m.area_id, m.unit_id) for m in page.context["memberships"]}
    assert shown == {(world.east.street.pk, None)}
    assert str(world.west.grids[0].name) not in page.content.decode()
