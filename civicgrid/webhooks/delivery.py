"""The delivery engine: Delivery rows from committed case and inspections events (the consumer `CONSUMER`
of the domain event log, core.events), and the attempts.

The database is the schedule. A Delivery is `pending` with `next_attempt_at` until an
attempt gets a 2xx (`succeeded`) or the last allowed attempt fails (`failed`). Every
attempt first claims the row with one conditional UPDATE (pending and due → not due for a
lease, attempts + 1), so two workers (a Celery retry and the sweeper, a redelivered task)
never send the same attempt twice. Celery runs the attempts (tasks.deliver, on commit,
then `retry(countdown=…)` on a worker); the sweeper (tasks.send_due, beat; the command
`send_webhooks` by hand) picks up whatever is due and was not run. An import never attempts a
delivery itself: its chunks only log events, the worker's consumer creates the deliveries.
"""

import functools
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.core import clock, events
from civicgrid.core.inputs import is_digits
from civicgrid.core.models import Event

from . import payloads, signing, transport
from .choices import APPS, DeliveryStatus, canonical, event_kind
from .models import Delivery, Subscription

logger = logging.getLogger(__name__)

# Bounds of what the log keeps of an answer.
RESPONSE_EXCERPT = 2000
LOGGED_EXCERPT = 300
MAX_LOGGED_ATTEMPTS = 20
# A claimed attempt is given this long (plus the timeout, twice: connect and read) before
# the sweeper may take the delivery over from a worker that died mid-attempt.
LEASE_MARGIN_SECONDS = 60
BULK_BATCH = 500


def max_attempts() -> int:
    return max(1, int(settings.CIVICGRID_WEBHOOKS_MAX_ATTEMPTS))


def backoff(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: base · 2^(attempts−1), capped."""
    base = int(settings.CIVICGRID_WEBHOOKS_RETRY_BASE_SECONDS)
    cap = int(settings.CIVICGRID_WEBHOOKS_RETRY_MAX_SECONDS)
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


# ---------------------------------------------------------------------------- from events


def deliver_events(batch: events.Batch) -> list[str]:
    """The consumer's handler: the deliveries of the batch's events for the subscriptions that
    want them, in the consumer's transaction, and their first attempts once it has committed;
    the ids of the deliveries created. Unique per subscription and timeline row, so a batch
    handled again creates none. One query when no active subscription matches (the bulk
    import's chunks, a site without webhooks)."""
    wanted = _matches(batch.events)
    if not wanted:
        return []
    made = _case_deliveries([w for w in wanted if w[0].app == "cases"])
    made += _object_deliveries([w for w in wanted if w[0].app != "cases"])
    # ignore_conflicts: a batch handled again finds its (subscription, event) pairs taken.
    Delivery.objects.bulk_create(made, batch_size=BULK_BATCH, ignore_conflicts=True)
    created = [
        str(pk) for pk in Delivery.objects.filter(pk__in=[d.pk for d in made]).values_list("pk", flat=True)
    ]
    # Robust: a broker that is down loses nothing (the sweeper sends what is due).
    transaction.on_commit(functools.partial(enqueue, created), robust=True)
    return created


Wanted = list[tuple[Event, list[tuple[int, str]]]]


def _case_deliveries(wanted: Wanted) -> list[Delivery]:
    if not wanted:
        return []
    cases = {
        c.pk: c
        for c in Case.objects.filter(pk__in={e.object_id for e, _s in wanted}).select_related(
            *payloads.CASE_RELATED
        )
    }
    rows = {
        row.event_id: row
        for row in CaseEvent.objects.filter(event_id__in=[e.pk for e, _s in wanted]).select_related("unit")
    }
    made: list[Delivery] = []
    for logged, subscriptions in wanted:
        case, row = cases.get(logged.object_id), rows.get(logged.pk)
        if case is None or row is None:
            continue  # deleted meanwhile
        made += _deliveries(
            subscriptions,
            functools.partial(payloads.build, event=row, case=case),
            event_id=row.pk,
            occurred_at=row.at,
            obj=case,
            object_type="case",
            case_id=case.pk,
            case_number=case.number,
        )
    return made


def _deliveries(
    subscriptions: list[tuple[int, str]],
    payload: Callable[[str, str], dict[str, Any]],
    *,
    event_id: int,
    occurred_at: Any,
    obj: Any,
    object_type: str,
    **case: Any,
) -> list[Delivery]:
    """One delivery per subscription (and the name it listed the kind under) of one event about
    `obj`; `payload(delivery id, kind)` is its body. Cases also fill the old case columns."""
    made = []
    for subscription_id, kind in subscriptions:
        delivery_id = uuid.uuid4()
        made.append(
            Delivery(
                id=delivery_id,
                subscription_id=subscription_id,
                event=kind,
                event_id=event_id,
                object_type=object_type,
                object_id=obj.pk,
                object_number=getattr(obj, "number", ""),
                street_id=obj.street_id,
                occurred_at=occurred_at,
                payload=payload(str(delivery_id), kind),
                next_attempt_at=clock.now(),
                **case,
            )
        )
    return made


def _object_deliveries(wanted: Wanted) -> list[Delivery]:
    """Other apps' objects (payloads.OBJECTS; events of any other object are not delivered):
    one query per type of object; event_id is the domain event's."""
    ids: dict[tuple[str, str], set[int]] = defaultdict(set)
    for logged, _subs in wanted:
        if (logged.app, logged.object_type) in payloads.OBJECTS:
            ids[(logged.app, logged.object_type)].add(logged.object_id)
    objects = {
        (key, obj.pk): obj
        for key, pks in ids.items()
        for obj in payloads.OBJECTS[key]
        .model.objects.filter(pk__in=pks)
        .select_related(*payloads.OBJECTS[key].related)
    }
    made: list[Delivery] = []
    for logged, subscriptions in wanted:
        obj = objects.get(((logged.app, logged.object_type), logged.object_id))
        if obj is None:
            continue  # deleted meanwhile, or not an object with a payload
        made += _deliveries(
            subscriptions,
            functools.partial(payloads.build_object, event=logged, obj=obj),
            event_id=logged.pk,
            occurred_at=logged.at,
            obj=obj,
            object_type=logged.object_type,
        )
    return made


def _matches(logged: Sequence[Event]) -> list[tuple[Event, list[tuple[int, str]]]]:
    """Each event with the active subscriptions that want it (its kind, its street) and the
    name each listed it under (the kind, else its old alias): one query."""
    streets = {e.street_id for e in logged if e.street_id is not None}
    through = Subscription.streets.through.objects
    by_street: dict[int, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for subscription_id, street_id, kinds in through.filter(
        area_id__in=streets, subscription__active=True
    ).values_list("subscription_id", "area_id", "subscription__events"):
        # Sorted so that "cases.x" comes after (and wins over) its alias "case.x".
        names = {canonical(name): name for name in sorted(kinds or ())}
        by_street[street_id].append((subscription_id, names))
    if not by_street:
        return []
    out = []
    for e in logged:
        kind = event_kind(e.app, e.action)
        subs = [(sid, names[kind]) for sid, names in by_street.get(e.street_id or 0, ()) if kind in names]
        if subs:
            out.append((e, subs))
    return out


# Only the apps whose events have a payload (payloads.build, payloads.build_object).
CONSUMER = events.Consumer("webhooks", deliver_events, apps=APPS)


# ---------------------------------------------------------------------------- attempts


@dataclass(frozen=True)
class Outcome:
    """What an attempt did: `retry_in` seconds until the next one, None when none is due
    (it succeeded, failed for good, or there was nothing to do)."""

    attempted: bool
    status: str | None = None
    retry_in: int | None = None


def attempt(delivery_id: Any, now: datetime | None = None) -> Outcome:
    """One attempt at a due, pending delivery (nothing if it is not due or not pending)."""
    now = now or clock.now()
    timeout = float(settings.CIVICGRID_WEBHOOKS_TIMEOUT)
    lease = now + timedelta(seconds=2 * timeout + LEASE_MARGIN_SECONDS)
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return Outcome(attempted=False)
    delivery = Delivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.active:
        delivery.attempts -= 1  # nothing was sent
        _log(delivery, now, None, "订阅已停用，未发送", "", None)
        return _finish(delivery, now, DeliveryStatus.FAILED, None, "", "订阅已停用，未发送")
    body = payloads.encode(delivery.payload)
    headers = signing.headers(subscription.secret, body, delivery.event, str(delivery.pk))
    response: transport.Response | None = None
    try:
        response = transport.post(subscription.url, body, headers, timeout)
    except transport.DeliveryError as exc:
        error = str(exc)
    except Exception as exc:  # never lose the attempt's record to an unexpected error
        logger.exception("webhook delivery %s failed unexpectedly", delivery.pk)
        error = f"{type(exc).__name__}: {exc}"
    else:
        error = "" if 200 <= response.status < 300 else f"HTTP {response.status}"
    excerpt = _text(response.body) if response is not None else ""
    status_code = response.status if response is not None else None
    _log(delivery, now, status_code, error, excerpt, response.elapsed_ms if response else None)
    if response is not None and not error:
        return _finish(delivery, now, DeliveryStatus.SUCCEEDED, status_code, excerpt, "")
    if delivery.attempts >= max_attempts():
        return _finish(delivery, now, DeliveryStatus.FAILED, status_code, excerpt, error)
    wait = max(backoff(delivery.attempts), _retry_after(response))
    delivery.next_attempt_at = clock.now() + timedelta(seconds=wait)
    _save_result(delivery, status_code, excerpt, error)
    return Outcome(attempted=True, status=DeliveryStatus.PENDING, retry_in=wait)


def _retry_after(response: transport.Response | None) -> int:
    """A 429/503's Retry-After in seconds (capped like the back-off); 0 if none."""
    if response is None or response.status not in (429, 503):
        return 0
    value = response.headers.get("retry-after", "").strip()
    if not is_digits(value):
        return 0
    return min(int(value), int(settings.CIVICGRID_WEBHOOKS_RETRY_MAX_SECONDS))


def _text(data: bytes) -> str:
    # PostgreSQL text refuses NUL characters.
    return data[:RESPONSE_EXCERPT].decode("utf-8", errors="replace").replace("\x00", "")


def _log(delivery: Delivery, at: datetime, status: int | None, error: str, body: str, ms: int | None) -> None:
    entry = {
        "at": payloads.iso(at),
        "status": status,
        "error": error[:500],
        "body": body[:LOGGED_EXCERPT],
        "ms": ms,
    }
    delivery.attempt_log = [*(delivery.attempt_log or []), entry][-MAX_LOGGED_ATTEMPTS:]


def _save_result(delivery: Delivery, status: int | None, body: str, error: str) -> None:
    delivery.response_status = status
    delivery.response_body = body
    delivery.error = error
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "response_status",
            "response_body",
            "error",
            "attempt_log",
        ]
    )


def _finish(
    delivery: Delivery, now: datetime, status: str, code: int | None, body: str, error: str
) -> Outcome:
    delivery.status = status
    delivery.next_attempt_at = None
    if status == DeliveryStatus.SUCCEEDED:
        delivery.delivered_at = clock.now()
    _save_result(delivery, code, body, error)
    return Outcome(attempted=True, status=status)


# ---------------------------------------------------------------------------- housekeeping


def due_ids(now: datetime | None = None, grace_seconds: float = 0, limit: int = 1000) -> list[str]:
    """Pending deliveries whose next attempt was due at least `grace_seconds` ago."""
    cutoff = (now or clock.now()) - timedelta(seconds=grace_seconds)
    qs = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=cutoff)
    return [str(pk) for pk in qs.order_by("next_attempt_at").values_list("pk", flat=True)[:limit]]


def purge(before: datetime) -> int:
    """Delete finished deliveries created before `before` (the retention task)."""
    deleted, _by_model = Delivery.objects.filter(
        created_at__lt=before, status__in=[DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED]
    ).delete()
    return deleted


def enqueue(delivery_ids: Iterable[str]) -> None:
    from . import tasks

    for pk in delivery_ids:
        tasks.deliver.delay(str(pk))
