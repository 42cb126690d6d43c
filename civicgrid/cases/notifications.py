"""The inbox. Sending is idempotent (a key per notice and user), so a retried task or a
repeated deadline check never notifies twice."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from .models import Case, Notification


def users_of_units(unit_ids: Iterable[int]) -> list[Any]:
    user_model = get_user_model()
    return list(user_model.objects.filter(is_active=True, memberships__unit_id__in=list(unit_ids)).distinct())


def desk_users(street_id: int) -> list[Any]:
    """The dispatchers and administrators of a street."""
    user_model = get_user_model()
    return list(
        user_model.objects.filter(is_active=True, role__in=["dispatcher", "admin"])
        .filter(Q(memberships__area_id=street_id))
        .distinct()
    )


def notify(users: Iterable[Any], case: Case | None, kind: str, text: str, key: str) -> int:
    rows = [
        Notification(user=user, case=case, kind=kind, text=text[:300], key=f"{key}:u{user.pk}")
        for user in users
    ]
    before = Notification.objects.filter(key__in=[r.key for r in rows]).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows) - before
