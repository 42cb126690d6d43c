"""The audit trail of registry objects.

Signals catch every save and delete of an AuditedModel, whichever path made it (an
action, the admin, a management command), so nothing escapes the log. Who did it comes
from a context variable set by the middleware for requests and by `acting_as()` for
commands and actions.
"""

import contextlib
import contextvars
import json
from collections.abc import Iterator
from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from . import personal
from .choices import AuditEvent

_actor: contextvars.ContextVar[tuple[Any, str] | None] = contextvars.ContextVar(
    "civicgrid_actor", default=None
)


@contextlib.contextmanager
def acting_as(user: Any, via: str = "") -> Iterator[None]:
    token = _actor.set((user, via))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> tuple[Any, str]:
    return _actor.get() or (None, "")


# The API token of the current request, as plain values (core may not import accounts).
# Kept apart from the actor: actions re-enter acting_as() with the same user, and the token
# must survive that.
_api_token: contextvars.ContextVar[tuple[int, str] | None] = contextvars.ContextVar(
    "civicgrid_api_token", default=None
)


def set_api_token(token_id: int, label: str) -> None:
    """Marks the rest of this request as made with API token `token_id` (set by TokenAuth).
    Only valid inside `api_token_scope()`, which clears it when the request ends."""
    _api_token.set((token_id, label[:100]))


def current_api_token() -> tuple[int, str] | None:
    return _api_token.get()


@contextlib.contextmanager
def api_token_scope() -> Iterator[None]:
    """No token inside; whatever a token set in here is gone afterwards, so a token cannot
    leak into the next request served by the same thread."""
    reset = _api_token.set(None)
    try:
        yield
    finally:
        _api_token.reset(reset)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The row as the trail keeps it. A personal field is a marker (personal.AuditMark: the
    log says it was set or changed, never the value, its token or its hash)."""
    exclude = set(getattr(instance, "audit_exclude", ()))
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude or isinstance(field, personal.SearchHashField):
            continue
        value = field.value_from_object(instance)
        if isinstance(field, personal.PersonalDataField):
            data[field.attname] = personal.AuditMark(value)
        else:
            data[field.attname] = _jsonable(value)
    return data


def write(instance: models.Model, event: str, changes: dict[str, Any]) -> None:
    """One row of the trail for `instance` (it has `audit_street_id()`): the signal handlers
    write them for AuditedModels, writers of other rows (core.attachments) call it directly."""
    from django.contrib.contenttypes.models import ContentType

    from .models import AuditLog

    user, via = current_actor()
    actor = user if getattr(user, "is_authenticated", False) else None
    api_token = current_api_token()
    AuditLog.objects.create(
        api_token_id=api_token[0] if api_token else None,
        api_token_label=api_token[1] if api_token else "",
        actor=actor,
        actor_label=getattr(actor, "username", "") if actor else "系统",
        via=via,
        event=event,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
        object_repr=str(instance)[:255],
        changes=changes,
        street_id=instance.audit_street_id(),  # type: ignore[attr-defined]
    )


def _is_audited(sender: type) -> bool:
    from .models import AuditedModel

    return isinstance(sender, type) and issubclass(sender, AuditedModel) and not sender._meta.abstract


def _pre_save(sender: type, instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or not _is_audited(sender):
        return
    before = None
    if instance.pk is not None and not instance._state.adding:
        old = sender._default_manager.filter(pk=instance.pk).first()  # type: ignore[attr-defined]
        before = snapshot(old) if old is not None else None
    instance._audit_before = before  # type: ignore[attr-defined]


def _post_save(sender: type, instance: models.Model, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw or not _is_audited(sender):
        return
    after = snapshot(instance)
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        write(instance, AuditEvent.CREATE, after)
        return
    diff = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if diff:
        write(instance, AuditEvent.UPDATE, diff)


def _post_delete(sender: type, instance: models.Model, **kwargs: Any) -> None:
    if _is_audited(sender):
        write(instance, AuditEvent.DELETE, snapshot(instance))


def connect_signals() -> None:
    pre_save.connect(_pre_save, dispatch_uid="civicgrid-audit-pre")
    post_save.connect(_post_save, dispatch_uid="civicgrid-audit-post")
    post_delete.connect(_post_delete, dispatch_uid="civicgrid-audit-delete")
