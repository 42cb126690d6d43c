import datetime as dt
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from civicgrid.accounts import tokens
from civicgrid.accounts.models import ApiToken
from civicgrid.core.choices import Role
from civicgrid.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_only_the_hash_is_stored_and_the_key_authenticates(world):
    user = world.user("east", Role.DISPATCHER)
    issued = tokens.issue(user, name="12345 对接")
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(issued.key.encode()).hexdigest()
    assert token.prefix == issued.key[:8] and issued.key.startswith("cg_")
    assert issued.key not in {token.key_hash, token.prefix, token.name}
    assert tokens.authenticate(issued.key) == user
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(world):
    issued = tokens.issue(world.user("east", Role.DISPATCHER))
    t0 = timezone.now()
    tokens.authenticate(issued.key, now=t0)
    tokens.authenticate(issued.key, now=t0 + dt.timedelta(seconds=30))
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == t0
    tokens.authenticate(issued.key, now=t0 + dt.timedelta(minutes=2))
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == t0 + dt.timedelta(minutes=2)


@pytest.mark.parametrize(
    ("spoil", "code"),
    [
        (lambda t: tokens.revoke(t), "token_revoked"),
        (lambda t: ApiToken.objects.filter(pk=t.pk).update(expires_at=timezone.now()), "token_expired"),
        (lambda t: type(t.user).objects.filter(pk=t.user_id).update(is_active=False), "invalid_token"),
    ],
)
def test_revoked_expired_and_deactivated_tokens_are_refused(world, spoil, code):
    issued = tokens.issue(world.user("east", Role.DISPATCHER))
    spoil(issued.token)
    with pytest.raises(tokens.TokenError) as err:
        tokens.authenticate(issued.key)
    assert err.value.code == code


def test_unknown_and_empty_keys_are_refused(world):
    tokens.issue(world.user("east", Role.DISPATCHER))
    for key, code in [("cg_nope", "invalid_token"), ("", "unauthorized")]:
        with pytest.raises(tokens.TokenError) as err:
            tokens.authenticate(key)
        assert err.value.code == code


def test_the_audit_log_records_the_token_but_not_its_hash(world):
    issued = tokens.issue(world.user("east", Role.DISPATCHER), name="对接")
    entry = AuditLog.objects.get(object_id=str(issued.token.pk), content_type__model="apitoken")
    assert entry.changes["name"] == "对接" and "key_hash" not in entry.changes
    assert entry.street_id == world.east.street.pk


def test_tokens_are_scoped_to_their_owner(world):
    mine = tokens.issue(world.user("east", Role.DISPATCHER)).token
    tokens.issue(world.user("west", Role.DISPATCHER))
    assert list(ApiToken.objects.restrict(world.user("east", Role.DISPATCHER), "view")) == [mine]


def test_create_api_token_prints_a_working_token(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "east-dispatcher", "--name", "脚本", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert "\n" not in key and key.startswith("cg_")
    token = ApiToken.objects.get()
    assert token.name == "脚本" and token.prefix in err.getvalue() and token.expires_at is None
    assert tokens.authenticate(key) == world.user("east", Role.DISPATCHER)


def test_create_api_token_with_expiry_and_for_unknown_users(world):
    call_command(
        "create_api_token", "west-handler", "--days", "30", stdout=io.StringIO(), stderr=io.StringIO()
    )
    expires = ApiToken.objects.get().expires_at
    assert expires is not None and dt.timedelta(days=29) < expires - timezone.now() <= dt.timedelta(days=30)
    with pytest.raises(CommandError, match="不存在"):
        call_command("create_api_token", "nobody", stdout=io.StringIO(), stderr=io.StringIO())


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_create_api_token_defaults_to_read(world):
    key, err = run("east-dispatcher")
    token = tokens.authenticate_token(key)
    assert token.scopes == ["read"] and token.rate_limit is None and "read" in err


def test_create_api_token_scopes_repeatable_or_comma_separated(world):
    key, _ = run("east-dispatcher", "--scope", "cases:write,geo:read", "--scope", "insights:read")
    assert tokens.authenticate_token(key).scopes == ["cases:write", "geo:read", "insights:read"]
    with pytest.raises(CommandError, match="未知的权限范围：cases:delete"):
        run("east-dispatcher", "--scope", "cases:read,cases:delete")
    assert ApiToken.objects.count() == 1


def test_create_api_token_expires_in_days_or_on_a_date(world):
    key, _ = run("east-dispatcher", "--expires", "7")
    expires = tokens.authenticate_token(key).expires_at
    assert expires is not None and dt.timedelta(days=6) < expires - timezone.now() <= dt.timedelta(days=7)
    key, _ = run("east-dispatcher", "--expires", "2099-06-30")
    local = timezone.localtime(tokens.authenticate_token(key).expires_at)
    assert (local.date(), local.hour, local.minute) == (dt.date(2099, 6, 30), 23, 59)
    for bad in ("2001-01-01", "0", "soon"):
        with pytest.raises(CommandError, match="--expires"):
            run("east-dispatcher", "--expires", bad)


def test_create_api_token_for_an_integration_with_a_rate_limit(world):
    from civicgrid.accounts import actions

    hotline = actions.create_integration(
        world.user("east", Role.ADMIN), name="12345 平台", streets=[world.east.street], role=Role.DISPATCHER
    )
    key, err = run("--integration", "12345 平台", "--scope", "cases:write", "--rate-limit", "1200")
    token = tokens.authenticate_token(key)
    assert token.user == hotline.service_account and token.rate_limit == 1200 and "12345 平台" in err
    entry = AuditLog.objects.filter(content_type__model="apitoken", object_id=str(token.pk)).get()
    assert entry.via == "command" and entry.api_token_id is None
    with pytest.raises(CommandError, match="不存在"):
        run("--integration", "没有这个")
    with pytest.raises(CommandError, match="二选一"):
        run("east-dispatcher", "--integration", "12345 平台")
    with pytest.raises(CommandError, match="二选一"):
        run()
    with pytest.raises(CommandError, match="rate-limit"):
        run("east-dispatcher", "--rate-limit", "-1")
