"""The inbox. Sending is idempotent (a key per notice and user), so a retried task or a
repeated deadline check never notifies twice.

Actions send through their domain event: `CaseContext.notify()` puts an `intent()` — the
audience as plain data (unit ids or a street's desk), kind, text and key — in the event's
payload ("notify"), which commits with the action. The consumer `CONSUMER` (core.events)
reads the committed events and writes the inbox rows in the transaction that advances its
watermark, so a notice is neither lost (a crash after the COMMIT) nor sent twice (the keys).
`tasks.send_notification` sends one notice outside an action.
The rows are the kernel's (core.notifications): any object's notices share one inbox.
A notice of a kind with message templates also goes out by e-mail and text message
(cases.messages, core.messaging), logged and keyed like the inbox rows.
"""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Model, Q

from civicgrid.core import clock, events, messaging, profile
from civicgrid.core.choices import Role
from civicgrid.core.notifications import Ref, notify, ref, resolve
from civicgrid.core.personal import unmasked

from .choices import Channel


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


def grid_workers(grid_id: int) -> list[Any]:
    """The grid workers of a grid (they check the work on site)."""
    user_model = get_user_model()
    return list(
        user_model.objects.filter(
            is_active=True, role=Role.GRID_WORKER, memberships__area_id=grid_id
        ).distinct()
    )


def reporter_of(case: Model | None) -> tuple[list[Any], str]:
    """Who reported the case: their resident account (inbox, e-mail), if they reported with
    one, and the phone number they gave (text messages)."""
    account = getattr(case, "created_by", None)
    users = [account] if account is not None and account.is_active and account.role == Role.RESIDENT else []
    return users, unmasked(getattr(case, "reporter_phone", ""))


def tells_reporter(case: Any) -> bool:
    """Whether the case's reporter is told its public steps: there is one, and it is no
    12345 caller — the hotline tells its own callers — unless the street says so
    (`cases.message_hotline_reporters`)."""
    if not (case.created_by_id or case.reporter_phone):
        return False
    return case.channel != Channel.HOTLINE or bool(
        profile.value("cases.message_hotline_reporters", case.street_id)
    )


# ---------------------------------------------------------------------------- audiences

Audience = dict[str, Any]


def units(unit_ids: Iterable[int | None]) -> Audience:
    """The active members of these units."""
    return {"units": sorted({int(u) for u in unit_ids if u})}


def desk(street_id: int) -> Audience:
    """The dispatchers and administrators of a street."""
    return {"desk": int(street_id)}


def grid(grid_id: int) -> Audience:
    """The grid workers of a grid."""
    return {"grid": int(grid_id)}


def reporter() -> Audience:
    """The case's reporter (reporter_of)."""
    return {"reporter": True}


def audience_users(audience: Audience) -> list[Any]:
    if "units" in audience:
        return users_of_units(audience["units"])
    if "desk" in audience:
        return desk_users(audience["desk"])
    if "grid" in audience:
        return grid_workers(audience["grid"])
    raise ValueError(f"unknown audience {audience!r}")


# The notice parameters that also fill the messages' templates (cases.messages.variables).
MESSAGE_CONTEXT = ("note", "step", "status")


def send(
    audience: Audience,
    case_id: int | None,
    kind: str,
    text: str,
    key: str,
    about: Ref | None = None,
    params: dict[str, Any] | None = None,
    *,
    messages: bool = True,
) -> int:
    """Write the notices (the task's body) about the case, or the object `about` refers to,
    and log its messages unless told not to (sent after the commit); returns how many inbox
    rows were new.
    `params` fill the message id `text` (core.messages) and, MESSAGE_CONTEXT, the messages."""
    from . import messages as texts
    from .models import Case

    about = about or (["cases.case", case_id] if case_id else None)
    obj = resolve(about)
    if about is not None and obj is None:
        return 0  # the object is gone (a rolled-back import, a test's clean-up): nothing to say
    phone = ""
    if "reporter" in audience:
        users, phone = reporter_of(obj)
    else:
        users = audience_users(audience)
    sent = notify(users, obj, kind, text, key, params)
    if messages and isinstance(obj, Case):
        context = {name: value for name, value in (params or {}).items() if name in MESSAGE_CONTEXT}
        messaging.queue(texts.build(kind, obj, key, users, phone, **context), obj)
    return sent


# ---------------------------------------------------------------------------- from events


def intent(audience: Audience, kind: str, text: str, key: str, params: dict[str, Any]) -> dict[str, Any]:
    """One notice as an event carries it (payload "notify"): a message id and its parameters
    (core.notifications)."""
    return {"audience": audience, "kind": str(kind), "text": text, "key": key, "params": params}


def send_events(batch: events.Batch) -> int:
    """The consumer's handler: the notices of the case events in `batch`; how many were new.
    An event older than CIVICGRID_MESSAGE_MAX_AGE_HOURS (a reader catching up after days, a
    replayed history) still reaches the inboxes, but sends no e-mail or text message."""
    sent = 0
    max_age = timedelta(hours=settings.CIVICGRID_MESSAGE_MAX_AGE_HOURS)
    for event in batch.events:
        fresh = batch.now - event.at <= max_age
        # Stamped at the write, not at the read: a worker that runs later (a broker's queue,
        # the demo's replayed year) still dates the notice when it happened.
        with clock.at(event.at):
            for notice in event.payload.get("notify", ()):
                sent += send(
                    notice["audience"],
                    event.object_id,
                    notice["kind"],
                    notice["text"],
                    notice["key"],
                    params=notice.get("params"),  # events logged before params: finished text
                    messages=fresh,
                )
    return sent


CONSUMER = events.Consumer(
    "cases.notifications", send_events, apps=frozenset({"cases"}), where=Q(payload__has_key="notify")
)


def enqueue_about(
    audience: Audience, obj: Model, kind: str, text: str, key: str, params: dict[str, Any] | None = None
) -> None:
    """A notice about any object (an area, a unit, a later app's row), outside an action."""
    from . import tasks

    tasks.send_notification.delay(audience, None, str(kind), text, key, about=ref(obj), params=params)
