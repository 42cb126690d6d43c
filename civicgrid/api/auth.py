"""Bearer-token authentication for the API. Tokens only: session cookies would bring CSRF
into a machine-to-machine interface for no gain.

Each router is mounted with `TokenAuth("<app>")`: the token must carry that app's read scope
for safe methods and its write scope for anything else (see ApiToken.allows)."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from civicgrid.accounts.tokens import RateLimited, TokenError, authenticate_token, check_rate, token_label
from civicgrid.core.audit import set_api_token

from .errors import ApiError, RateLimitError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    def __init__(self, app: str = "cases") -> None:
        super().__init__()
        self.app = app

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            api_token = authenticate_token(token)
        except TokenError as exc:
            raise ApiError(401, exc.code, exc.message) from None
        # Counted before the scope check: a client retrying a refused call is throttled too.
        try:
            check_rate(api_token)
        except RateLimited as exc:
            raise RateLimitError(exc.retry_after) from None
        write = request.method not in SAFE_METHODS
        if not api_token.allows(self.app, write):
            needed = f"{self.app}:{'write' if write else 'read'}"
            raise ApiError(
                403,
                "insufficient_scope",
                f"API 令牌缺少权限范围“{needed}”（或“{'write' if write else 'read'}”）",
                {"scope": needed},
            )
        # Handlers read the user from request.user like every Django view does.
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        # Every audited write in the rest of this request names the token (cleared by
        # AuditActorMiddleware when the request ends).
        set_api_token(api_token.pk, token_label(api_token))
        return api_token.user
