"""The inbox. Sending is idempotent (a key per notice and user), so a retried task or a
repeated deadline check never notifies twice.

Actions send through `send_on_commit()`: after the commit a Celery task
(`tasks.send_notification`, queue `notify`) gets the audience as plain data — unit ids or a
street's desk — plus the case id, kind, text and key, and resolves the users when it runs.
In the embedded profile (no broker) the task runs in-process right after the commit.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
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
        Notification(
            user=user,
            case=case,
            kind=kind,
            text=text[:300],
            key=f"{key}:u{user.pk}",
            street_id=case.street_id if case is not None else None,
        )
        for user in users
    ]
    before = Notification.objects.filter(key__in=[r.key for r in rows]).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows) - before


# ---------------------------------------------------------------------------- audiences

Audience = dict[str, Any]


def units(unit_ids: Iterable[int | None]) -> Audience:
    """The active members of these units."""
    return {"units": sorted({int(u) for u in unit_ids if u})}


def desk(street_id: int) -> Audience:
    """The dispatchers and administrators of a street."""
    return {"desk": int(street_id)}


def audience_users(audience: Audience) -> list[Any]:
    if "units" in audience:
        return users_of_units(audience["units"])
    if "desk" in audience:
        return desk_users(audience["desk"])
    raise ValueError(f"unknown audience {audience!r}")


def send(audience: Audience, case_id: int | None, kind: str, text: str, key: str) -> int:
    """Write the notices (the task's body); returns how many were new."""
    users = audience_users(audience)
    case = Case.objects.filter(pk=case_id).first() if case_id else None
    if case_id and case is None:
        return 0  # the case is gone (a rolled-back import, a test's clean-up): nothing to say
    return notify(users, case, kind, text, key)


def send_on_commit(audience: Audience, case_id: int | None, kind: str, text: str, key: str) -> None:
    transaction.on_commit(lambda: enqueue(audience, case_id, kind, text, key))


def enqueue(audience: Audience, case_id: int | None, kind: str, text: str, key: str) -> None:
    from . import tasks

    tasks.send_notification.delay(audience, case_id, str(kind), text, key)
