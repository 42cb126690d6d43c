"""The inbox. Sending is idempotent (a key per notice and user), so a retried task or a
repeated deadline check never notifies twice.

Actions send through their domain event: `CaseContext.notify()` puts an `intent()` — the
audience as plain data (unit ids or a street's desk), kind, text and key — in the event's
payload ("notify"), which commits with the action. The consumer `CONSUMER` (core.events)
reads the committed events and writes the inbox rows in the transaction that advances its
watermark, so a notice is neither lost (a crash after the COMMIT) nor sent twice (the keys).
`tasks.send_notification` sends one notice outside an action.
The rows are the kernel's (core.notifications): any object's notices share one inbox.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model, Q

from civicgrid.core import clock, events
from civicgrid.core.notifications import Ref, notify, ref, resolve


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


def send(
    audience: Audience,
    case_id: int | None,
    kind: str,
    text: str,
    key: str,
    about: Ref | None = None,
    params: dict[str, Any] | None = None,
) -> int:
    """Write the notices (the task's body) about the case, or the object `about` refers to;
    returns how many were new."""
    about = about or (["cases.case", case_id] if case_id else None)
    obj = resolve(about)
    if about is not None and obj is None:
        return 0  # the object is gone (a rolled-back import, a test's clean-up): nothing to say
    return notify(audience_users(audience), obj, kind, text, key, params)


# ---------------------------------------------------------------------------- from events


def intent(audience: Audience, kind: str, text: str, key: str, params: dict[str, Any]) -> dict[str, Any]:
    """One notice as an event carries it (payload "notify"): a message id and its parameters
    (core.notifications)."""
    return {"audience": audience, "kind": str(kind), "text": text, "key": key, "params": params}


def send_events(batch: events.Batch) -> int:
    """The consumer's handler: the notices of the case events in `batch`; how many were new."""
    sent = 0
    for event in batch.events:
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
