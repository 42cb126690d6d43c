"""Bearer-token authentication for the API. Tokens only: session cookies would bring CSRF
into a machine-to-machine interface for no gain."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from civicgrid.accounts.tokens import TokenError, authenticate

from .errors import ApiError


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            user = authenticate(token)
        except TokenError as exc:
            raise ApiError(401, exc.code, exc.message) from None
        # Handlers read the user from request.user like every Django view does.
        request.user = user
        return user
