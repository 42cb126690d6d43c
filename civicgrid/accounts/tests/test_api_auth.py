"""TokenAuth: scopes per app and method, refusals, rate limits, the token in the audit trail."""

import datetime as dt
import json

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.utils import timezone

from civicgrid.accounts import actions, tokens
from civicgrid.accounts.backends import CivicModelBackend
from civicgrid.accounts.choices import API_APPS, ApiScope
from civicgrid.accounts.models import ApiToken
from civicgrid.core import audit
from civicgrid.core.choices import Role
from civicgrid.core.models import AuditLog, Holiday

pytestmark = [pytest.mark.django_db, pytest.mark.urls("civicgrid.accounts.tests.api_urls")]


def call(client, key, method, app, **extra):
    url = f"/t/{app}/thing"
    headers = {"Authorization": f"Bearer {key}"}
    if method == "post":
        return client.post(url, "{}", content_type="application/json", headers=headers, **extra)
    return getattr(client, method)(url, headers=headers, **extra)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


# --------------------------------------------------------------------------- scope grammar


@pytest.mark.parametrize(
    ("scopes", "app", "write", "allowed"),
    [
        (["read"], "cases", False, True),
        (["read"], "cases", True, False),
        (["write"], "webhooks", False, True),  # write implies read
        (["write"], "webhooks", True, True),
        (["cases:read"], "cases", False, True),
        (["cases:read"], "cases", True, False),
        (["cases:read"], "geo", False, False),
        (["cases:write"], "cases", False, True),
        (["cases:write"], "cases", True, True),
        (["cases:write"], "geo", False, False),
        (["cases:write", "geo:read"], "geo", False, True),
        (["cases:write", "geo:read"], "geo", True, False),
        ([], "cases", False, False),
    ],
)
def test_allows(scopes, app, write, allowed):
    assert ApiToken(scopes=scopes).allows(app, write) is allowed


def test_scope_names_are_validated_and_normalised(world):
    user = world.user("east", Role.DISPATCHER)
    assert tokens.issue(user).token.scopes == ["read"]
    assert tokens.issue(user, scopes=["geo:read", "cases:write", "geo:read"]).token.scopes == [
        "cases:write",
        "geo:read",
    ]
    for bad in (["cases:delete"], ["admin"], [], ["Read"]):
        with pytest.raises(tokens.ScopeError):
            tokens.issue(user, scopes=bad)
    per_app = {f"{a}:{m}" for a in API_APPS for m in ("read", "write")}
    assert set(ApiScope.values) == {"read", "write", "personal:read"} | per_app


# --------------------------------------------------------------------------- TokenAuth


@pytest.mark.parametrize("method", ["get", "head", "options", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("scopes", [["read"], ["cases:read"], ["cases:write"], ["geo:write"]])
def test_scopes_per_method_and_app(client, world, method, scopes):
    key = tokens.issue(world.user("east", Role.DISPATCHER), scopes=scopes).key
    write = method not in ("get", "head", "options")
    response = call(client, key, method, "cases")
    allowed = ApiToken(scopes=scopes).allows("cases", write)
    if allowed:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403
        if method == "head":
            return  # a HEAD response has no body
        body = json.loads(response.content)["error"]
        needed = f"cases:{'write' if write else 'read'}"
        assert body["code"] == "insufficient_scope"
        assert needed in body["message"] and "权限范围" in body["message"]
        assert body["fields"] == {"scope": needed}


def test_a_read_only_token_writes_nothing(client, world):
    key = tokens.issue(world.user("east", Role.ADMIN), scopes=["write", "geo:read"]).key
    read_only = tokens.issue(world.user("east", Role.ADMIN), scopes=["read"]).key
    assert call(client, read_only, "post", "insights").status_code == 403
    assert not Holiday.objects.exists()
    assert call(client, key, "post", "insights").status_code == 200
    assert Holiday.objects.count() == 1


def test_the_request_carries_the_user_and_the_token(client, world):
    user = world.user("east", Role.DISPATCHER)
    issued = tokens.issue(user, scopes=["geo:read"])
    body = json.loads(call(client, issued.key, "get", "geo").content)
    assert body == {
        "user": user.username,
        "auth": user.username,
        "token": issued.token.pk,
        "streets": [world.east.street.code],
    }


@pytest.mark.parametrize(
    ("spoil", "code"),
    [
        (lambda t: tokens.revoke(t), "token_revoked"),
        (lambda t: ApiToken.objects.filter(pk=t.pk).update(expires_at=timezone.now()), "token_expired"),
    ],
)
def test_revoked_and_expired_tokens_are_401(client, world, spoil, code):
    issued = tokens.issue(world.user("east", Role.DISPATCHER), scopes=["write"])
    spoil(issued.token)
    response = call(client, issued.key, "get", "cases")
    assert response.status_code == 401
    assert json.loads(response.content)["error"]["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_authenticate_token_returns_the_token(world):
    user = world.user("west", Role.LEADER)
    issued = tokens.issue(user, name="看板")
    token = tokens.authenticate_token(issued.key)
    assert token.pk == issued.token.pk and token.user == user
    assert tokens.authenticate(issued.key) == user


# --------------------------------------------------------------------------- integrations


@pytest.fixture
def hotline(world):
    by = world.user("east", Role.ADMIN)
    return actions.create_integration(
        by, name="12345 平台", description="市民热线", streets=[world.east.street], role=Role.DISPATCHER
    )


def test_an_integration_token_acts_as_its_service_account(client, world, hotline):
    account = hotline.service_account
    assert account.is_service_account and not account.has_usable_password()
    assert not account.is_staff and account.role == Role.DISPATCHER
    issued = actions.issue_token(world.user("east", Role.ADMIN), account, scopes=["geo:read"])
    body = json.loads(call(client, issued.key, "get", "geo").content)
    assert body["user"] == account.username
    # The service account's memberships, not the administrator's, decide what it sees.
    assert body["streets"] == [world.east.street.code]
    assert tokens.token_label(issued.token) == f"{issued.token.prefix}… 12345 平台"


def test_a_disabled_integration_is_refused(client, world, hotline):
    issued = actions.issue_token(None, hotline.service_account, scopes=["read"])
    assert call(client, issued.key, "get", "cases").status_code == 200
    actions.update_integration(
        world.user("east", Role.ADMIN),
        hotline,
        name=hotline.name,
        description="",
        active=False,
        streets=[world.east.street],
        role=Role.DISPATCHER,
    )
    response = call(client, issued.key, "get", "cases")
    assert response.status_code == 401 and "停用" in json.loads(response.content)["error"]["message"]


def test_service_accounts_cannot_sign_in(client, hotline):
    account = hotline.service_account
    account.set_password("a-password-someone-set")
    account.save()
    credentials = {"username": account.username, "password": "a-password-someone-set"}
    assert ModelBackend().authenticate(None, **credentials) == account  # what we guard against
    assert CivicModelBackend().authenticate(None, **credentials) is None
    # Nor is a session naming it honoured.
    client.force_login(account, backend="civicgrid.accounts.backends.CivicModelBackend")
    response = client.get("/t/cases/thing")  # any request: the session user must be anonymous
    assert response.wsgi_request.user.is_anonymous


# --------------------------------------------------------------------------- audit


def test_an_api_write_names_its_token_and_the_token_does_not_leak(client, world, hotline):
    issued = actions.issue_token(None, hotline.service_account, scopes=["insights:write"])
    assert call(client, issued.key, "post", "insights").status_code == 200
    entry = AuditLog.objects.get(content_type__model="holiday")
    assert entry.actor_id == hotline.service_account.pk and entry.via == "api"
    assert entry.api_token_id == issued.token.pk
    assert entry.api_token_label == f"{issued.token.prefix}… 12345 平台"
    # The same thread's next request (and code after it) carries no token.
    assert audit.current_api_token() is None
    client.get("/t/cases/thing")  # unauthenticated: 401
    with audit.acting_as(world.user("east", Role.ADMIN), "web"):
        Holiday.objects.create(date=dt.date(2031, 1, 2), name="元旦")
    later = AuditLog.objects.filter(content_type__model="holiday").order_by("-id").first()
    assert later is not None and later.api_token_id is None and later.api_token_label == ""


def test_the_token_scope_resets_even_when_the_request_fails(world):
    with pytest.raises(RuntimeError), audit.api_token_scope():
        audit.set_api_token(7, "cg_x… t")
        assert audit.current_api_token() == (7, "cg_x… t")
        raise RuntimeError
    assert audit.current_api_token() is None


# --------------------------------------------------------------------------- rate limits


def test_over_the_limit_is_429_with_retry_after(client, world):
    issued = tokens.issue(world.user("east", Role.DISPATCHER), rate_limit=3)
    other = tokens.issue(world.user("east", Role.DISPATCHER))
    for _ in range(3):
        assert call(client, issued.key, "get", "cases").status_code == 200
    response = call(client, issued.key, "get", "cases")
    assert response.status_code == 429
    assert json.loads(response.content)["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Counted per token: another token of the same user is unaffected.
    assert call(client, other.key, "get", "cases").status_code == 200


def test_the_default_limit_comes_from_settings(client, world, settings):
    settings.CIVICGRID_API_RATE_LIMIT = 2
    issued = tokens.issue(world.user("east", Role.DISPATCHER))
    unlimited = tokens.issue(world.user("east", Role.DISPATCHER), rate_limit=0)
    assert [call(client, issued.key, "get", "cases").status_code for _ in range(3)] == [200, 200, 429]
    assert {call(client, unlimited.key, "get", "cases").status_code for _ in range(4)} == {200}


def test_the_window_resets_and_retry_after_counts_down(world):
    token = tokens.issue(world.user("east", Role.DISPATCHER), rate_limit=1).token
    start = 1_800_000_000.0  # a window boundary (a multiple of 60)
    tokens.check_rate(token, now=start + 10)
    with pytest.raises(tokens.RateLimited) as err:
        tokens.check_rate(token, now=start + 45.5)
    assert err.value.retry_after == 15
    tokens.check_rate(token, now=start + 60)  # the next window
