"""API tokens: issue one (shown once), check one presented as `Authorization: Bearer <token>`.

Only the SHA-256 of a token is stored. Tokens are 256-bit random strings, so a plain hash
(no salt, no slow KDF) is enough: there is nothing to brute-force, and an indexed lookup by
hash keeps each request to one query.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

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


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # the clear text: give it to the user now, it cannot be recovered later


def issue(user: Any, name: str = "", expires_at: datetime | None = None) -> IssuedToken:
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=hash_key(key), prefix=key[:8], expires_at=expires_at
    )
    return IssuedToken(token=token, key=key)


def revoke(token: ApiToken, now: datetime | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])


def authenticate(key: str, now: datetime | None = None) -> Any:
    """The token's user, or TokenError saying why not."""
    key = (key or "").strip()
    if not key:
        raise TokenError("unauthorized", "缺少 API 令牌（Authorization: Bearer <token>）")
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        raise TokenError("invalid_token", "API 令牌无效")
    now = now or timezone.now()
    if token.revoked_at is not None:
        raise TokenError("token_revoked", "API 令牌已撤销")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenError("token_expired", "API 令牌已过期")
    if not token.user.is_active:
        raise TokenError("invalid_token", "API 令牌所属账号已停用")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A queryset update: no audit row, no updated_at bump, no race with revoke().
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
