"""The inbox of every app: a notice to some users about any object (core.models.Notification).

`notify()` writes the rows — idempotent through a key per notice and user, so a retried
task or a repeated check never notifies twice — and `send_on_commit()` does it in a Celery
task (queue `notify`) after the caller's transaction commits, with ids only. `mark_read()`
and `mark_all_read()` are the reader's own marks (the inbox page /inbox/ and the API): no
audit, no timeline. Each app registers the labels of its kinds (`register_kinds`) in its
ready(). cases.notifications builds its audiences (a unit's members, a street's desk) on top
of these.

A notice is stored as a message id and its parameters, not as finished text, so every reader
reads it in their own language (core.messages, `Notification.message`): `text` is a
gettext_noop() string with %(name)s placeholders, `params` the values (numbers, names, the
reason someone typed — data, shown as typed). Rows from before hold finished text and `{}`.
"""

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.urls import NoReverseMatch

from . import clock
from .choices import Action
from .errors import NotFound
from .models import Notification

KIND_LABELS: dict[str, Any] = {}

# A plain-data reference to an object for a task's arguments: ["app_label.model", pk].
Ref = list[Any]
# The values of a notice's message id (module docstring).
Params = dict[str, Any] | None


def register_kinds(choices: Any) -> None:
    """Label the kinds of a TextChoices class in every inbox."""
    KIND_LABELS.update(dict(choices.choices))


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def ref(obj: models.Model | None) -> Ref | None:
    return [obj._meta.label_lower, obj.pk] if obj is not None else None


def resolve(about: Ref | None) -> models.Model | None:
    """The object of a reference; None when it is gone."""
    if about is None:
        return None
    label, pk = about
    return apps.get_model(label)._default_manager.filter(pk=pk).first()


def page_of(obj: models.Model) -> str:
    """The object's page; none when it has no page, or its pages are not served here (an
    API-only URLconf)."""
    try:
        return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
    except NoReverseMatch:
        return ""


def notify(
    users: Iterable[Any], obj: models.Model | None, kind: str, text: str, key: str, params: Params = None
) -> int:
    """Write one notice per user about `obj` (None: about nothing in particular); returns
    how many were new. `key` identifies the notice; each user's row gets `key:u<id>`.
    `text` is a message id filled from `params` when read (module docstring)."""
    about: dict[str, Any] = {}
    if obj is not None:
        about = {
            "content_type": ContentType.objects.get_for_model(obj),
            "object_id": obj.pk,
            "street_id": getattr(obj, "street_id", None),
            "url": page_of(obj)[:300],
        }
    rows = [
        Notification(
            user=user, kind=str(kind), text=text[:300], params=params or {}, key=f"{key}:u{user.pk}", **about
        )
        for user in users
    ]
    before = Notification.objects.filter(key__in=[r.key for r in rows]).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows) - before


def send(
    user_ids: Iterable[int], about: Ref | None, kind: str, text: str, key: str, params: Params = None
) -> int:
    """The task's body: the active users among `user_ids`, notified about the referenced
    object — nothing when it is gone (a rolled-back import, a deleted row)."""
    from django.contrib.auth import get_user_model

    obj = resolve(about)
    if about is not None and obj is None:
        return 0
    users = get_user_model().objects.filter(pk__in=list(user_ids), is_active=True)
    return notify(users, obj, kind, text, key, params)


def send_on_commit(
    users: Iterable[Any], obj: models.Model | None, kind: str, text: str, key: str, params: Params = None
) -> None:
    """Notify after the current transaction commits (never for a rolled-back one)."""
    user_ids = [u.pk for u in users]
    about = ref(obj)
    # Robust: the write has committed; a notice that cannot be queued is logged, never a reason to
    # report the write as failed (and run it again, as `retry_when_locked` would).
    transaction.on_commit(lambda: enqueue(user_ids, about, kind, text, key, params), robust=True)


def enqueue(
    user_ids: list[int], about: Ref | None, kind: str, text: str, key: str, params: Params = None
) -> None:
    from . import tasks

    tasks.send_notification.delay(user_ids, about, str(kind), text, key, params)


# ---------------------------------------------------------------------------- read marks


def mark_read(actor: Any, pk: int) -> Notification:
    """The actor's notice `pk`, read (idempotent: an already read one keeps its first read
    time, also when two readers race). NotFound for anyone else's, as if it did not exist."""
    mine = Notification.objects.restrict(actor, Action.CHANGE)
    note = mine.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if note is None:
        raise NotFound("通知不存在")
    if note.read_at is None:
        mine.filter(pk=note.pk, read_at__isnull=True).update(read_at=clock.now())
        note.read_at = mine.values_list("read_at", flat=True).get(pk=note.pk)
    return note


def mark_all_read(actor: Any) -> int:
    """Every unread notice of the actor, read; returns how many."""
    unread = Notification.objects.restrict(actor, Action.CHANGE).filter(read_at__isnull=True)
    return unread.update(read_at=clock.now())
