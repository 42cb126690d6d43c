"""Authentication backend: Django's ModelBackend, minus service accounts."""

from typing import Any

from django.contrib.auth.backends import ModelBackend


class CivicModelBackend(ModelBackend):
    """Service accounts (integrations) only ever act through API tokens: they cannot sign in,
    and a session that somehow names one is not honoured either (get_user asks this too)."""

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_service_account", False)
