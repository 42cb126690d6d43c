"""API tokens: issue one (shown once), check one presented as `Authorization: Bearer <token>`.

Only the SHA-256 of a token is stored. Tokens are 256-bit random strings, so a plain hash
(no salt, no slow KDF) is enough: there is nothing to brute-force, and an indexed lookup by
hash keeps each request to one query.
"""

import hashlib
import math
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from civicgrid.core import clock, throttle

from .choices import DEFAULT_SCOPES, normalize_scopes
from .choices import ScopeError as ScopeError  # re-exported for callers of issue()
from .models import ApiToken

TOKEN_PREFIX = "cg_"
# Writing last_used_at on every request would turn each read into a write; once a minute
# is precise enough to tell which tokens are still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(Exception):
    """Why a presented token was refused (missing, unknown, revoked, expired, inactive user)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RateLimited(Exception):
    """Too many requests with this token in the current window; retry after `retry_after` s."""

    def __init__(self, retry_after: int, limit: int = 0) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after
        self.limit = limit


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # the clear text: give it to the user now, it cannot be recovered later


def clean_scopes(scopes: Iterable[str] | None) -> list[str]:
    """Validated scopes in a stable order; None → the default (`["read"]`)."""
    return list(DEFAULT_SCOPES) if scopes is None else normalize_scopes(list(scopes))


def issue(
    user: Any,
    name: str = "",
    expires_at: datetime | None = None,
    scopes: Iterable[str] | None = None,
    rate_limit: int | None = None,
) -> IssuedToken:
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=hash_key(key),
        prefix=key[:8],
        expires_at=expires_at,
        scopes=clean_scopes(scopes),
        rate_limit=rate_limit,
    )
    return IssuedToken(token=token, key=key)


def token_label(token: ApiToken) -> str:
    """How the audit trail names a token: its prefix and its integration's (or its own) name."""
    client = getattr(token.user, "api_client", None) if token.user.is_service_account else None
    who = client.name if client is not None else (token.name or token.user.username)
    return f"{token.prefix}… {who}"


def revoke(token: ApiToken, now: datetime | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = now or clock.now()
        token.save(update_fields=["revoked_at", "updated_at"])


def authenticate(key: str, now: datetime | None = None) -> Any:
    """The token's user, or TokenError saying why not."""
    return authenticate_token(key, now).user


def authenticate_token(key: str, now: datetime | None = None) -> ApiToken:
    """The presented token (with its user loaded), or TokenError saying why not."""
    key = (key or "").strip()
    if not key:
        raise TokenError("unauthorized", "缺少 API 令牌（Authorization: Bearer <token>）")
    token = ApiToken.objects.select_related("user", "user__api_client").filter(key_hash=hash_key(key)).first()
    if token is None:
        raise TokenError("invalid_token", "API 令牌无效")
    now = now or clock.now()
    if token.revoked_at is not None:
        raise TokenError("token_revoked", "API 令牌已撤销")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenError("token_expired", "API 令牌已过期")
    if not token.user.is_active:
        raise TokenError("invalid_token", "API 令牌所属账号已停用")
    if token.user.is_service_account:
        client = getattr(token.user, "api_client", None)
        if client is None or not client.active:
            raise TokenError("invalid_token", "API 令牌所属的外部系统接入已停用")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A queryset update: no audit row, no updated_at bump, no race with revoke().
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def rate_limit_for(token: ApiToken) -> int:
    """Requests per minute allowed for this token (0 = unlimited)."""
    if token.rate_limit is not None:
        return token.rate_limit
    return int(getattr(settings, "CIVICGRID_API_RATE_LIMIT", 600))


RATE_WINDOW_SECONDS = 60


def check_rate(token: ApiToken, now: float | None = None) -> None:
    """Counts one request for this token; RateLimited once it is over its limit.

    A fixed one-minute window counted in the cache (shared by every worker with Redis).
    A fixed window lets a client burst up to twice the limit across a window boundary;
    that is acceptable for abuse protection and costs one cache round trip per request.
    """
    limit = rate_limit_for(token)
    if limit <= 0:
        return
    now = time.time() if now is None else now
    window = int(now // RATE_WINDOW_SECONDS)
    # Keyed by the (unique, random) hash rather than the id, which a test database may reuse.
    cache_key = f"civicgrid:api-rate:{token.key_hash[:24]}:{window}"
    # The counter outlives the window a little so a slow clock on another worker still
    # counts into the same key.
    count = throttle.hit(cache_key, RATE_WINDOW_SECONDS + 5)
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * RATE_WINDOW_SECONDS - now))
        raise RateLimited(retry_after, limit)
