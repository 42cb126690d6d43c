"""Authentication backends: the login throttle, then Django's ModelBackend minus service accounts."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from . import throttle


class LoginThrottleBackend:
    """First in AUTHENTICATION_BACKENDS: a sign-in the throttle has locked stops here, before
    any backend checks the password (so no answer, and no timing, tells a right password from
    a wrong one). PermissionDenied makes django.contrib.auth.authenticate() give up. No
    get_user(): it never signs anyone in, so no session names it (nor does force_login pick it)."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, **kwargs: Any) -> None:
        if request is not None and throttle.locked(request, username or ""):
            throttle.refuse(request)
            raise PermissionDenied
        return None


class CivicModelBackend(ModelBackend):
    """Service accounts (integrations) only ever act through API tokens: they cannot sign in,
    and a session that somehow names one is not honoured either (get_user asks this too)."""

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_service_account", False)
