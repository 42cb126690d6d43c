"""Readings in: parsed, checked, stored once, and handed to the rules — in batches, so that a
thousand readings cost a handful of queries (the MQTT consumer and the gateways' HTTP endpoint
both call `ingest`).

A message is a JSON object, or a JSON array of them (a gateway's batch):

    {"type": "water_meter", "device": "WM-0001", "at": "2026-12-04T08:00:00+08:00",
     "value": 3.5, "event": "", "id": "a1b2…"}

`type` is a device type's code and `device` the vendor's id of a registered device; `at` an ISO
8601 time with its offset; `value` a number (the type's metric), `event` a short word ("smoke",
"clear", "open"): at least one of the two. `id` is the message's idempotency key (else its time):
a reading delivered twice is stored and applied once. A reading of an unknown device, a
malformed one and one whose time is too far from now (clock skew) are counted by reason and
logged, never raised."""

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from civicgrid.core import clock
from civicgrid.core.bulk import insert_new

from . import directory
from .choices import Rejected
from .models import Device, Reading
from .rules import apply_readings

log = logging.getLogger(__name__)
MAX_EVENT = 16


@dataclass
class Report:
    stored: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    def add(self, other: "Report") -> None:
        self.stored += other.stored
        self.rejected.update(other.rejected)

    def as_dict(self) -> dict[str, Any]:
        return {"stored": self.stored, "rejected": dict(self.rejected)}


class Parsed(NamedTuple):
    type: str
    device: str
    at: datetime
    value: float | None
    event: str
    key: str


def messages(payload: bytes | str) -> list[Any]:
    """The readings of one message (an object or an array); [] and a None entry when it is not JSON."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return [None]
    return data if isinstance(data, list) else [data]


def accepted(now: datetime) -> tuple[datetime, datetime]:
    """The earliest and the latest time of a reading taken at `now` (outside: clock skew)."""
    return (
        now - timedelta(hours=settings.CIVICGRID_SENSORS_MAX_AGE_HOURS),
        now + timedelta(seconds=settings.CIVICGRID_SENSORS_MAX_AHEAD_SECONDS),
    )


def parse(raw: Any, now: datetime, window: tuple[datetime, datetime] | None = None) -> Parsed | str:
    """One reading checked, or the reason (Rejected) it is refused. `window`: `accepted(now)`,
    given once for a batch."""
    if not isinstance(raw, dict):
        return Rejected.MALFORMED
    kind, device, at = raw.get("type"), raw.get("device"), raw.get("at")
    value, event, key = raw.get("value"), raw.get("event") or "", raw.get("id")
    if not isinstance(kind, str) or not isinstance(device, str) or not kind or not device or len(device) > 64:
        return Rejected.MALFORMED
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        return Rejected.MALFORMED
    if when is None or when.tzinfo is None:
        return Rejected.MALFORMED
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or value != value
    ):
        return Rejected.MALFORMED
    if not isinstance(event, str) or len(event) > MAX_EVENT or (value is None and not event):
        return Rejected.MALFORMED
    if key is not None and (not isinstance(key, str | int) or len(str(key)) > 64):
        return Rejected.MALFORMED
    earliest, latest = window or accepted(now)
    if when > latest or when < earliest:
        return Rejected.SKEW
    return Parsed(
        kind,
        device,
        when,
        None if value is None else float(value),
        event,
        str(key if key is not None else when.isoformat()),
    )


def ingest(
    raws: Iterable[Any], *, now: datetime | None = None, devices: QuerySet[Device] | None = None
) -> Report:
    """Check, store and apply a batch of readings in one transaction; the report counts them.
    `devices`: the devices the sender may report for (a gateway's token: its streets); others
    are unknown devices."""
    now = now or clock.now()
    report = Report()
    parsed: list[Parsed] = []
    window = accepted(now)
    for raw in raws:
        result = parse(raw, now, window)
        if isinstance(result, Parsed):
            parsed.append(result)
        else:
            report.rejected[result] += 1
    if parsed:
        with transaction.atomic():
            report.add(_store(parsed, now, devices))
    if report.rejected:
        log.warning("sensor readings refused: %s", dict(report.rejected))
    return report


def _store(parsed: Sequence[Parsed], now: datetime, scope: QuerySet[Device] | None) -> Report:
    report = Report()
    devices = directory.lookup({(p.type, p.device) for p in parsed})
    if scope is not None:
        allowed = set(scope.filter(pk__in=[d.pk for d in devices.values()]).values_list("pk", flat=True))
        devices = {key: device for key, device in devices.items() if device.pk in allowed}
    fresh: dict[tuple[int, str], Parsed] = {}
    for p in parsed:
        device = devices.get((p.type, p.device))
        if device is None:
            report.rejected[Rejected.UNKNOWN_DEVICE] += 1
        elif (device.pk, p.key) in fresh:
            report.rejected[Rejected.DUPLICATE] += 1
        else:
            fresh[(device.pk, p.key)] = p
    if not fresh:
        return report
    # Delivered before (QoS 1 redelivers; a gateway retries): stored once, applied once.
    stored = insert_new(
        Reading,
        ["device_id", "at", "value", "event", "key"],
        [(pk, p.at, p.value, p.event, p.key) for (pk, _key), p in fresh.items()],
        unique=["device_id", "key"],
    )
    new = [(pk, p) for (pk, key), p in fresh.items() if (pk, key) in stored]
    report.rejected[Rejected.DUPLICATE] += len(fresh) - len(new)
    report.stored = len(new)
    by_id = {d.pk: d for d in devices.values()}
    apply_readings([(by_id[pk], p.at, p.value, p.event) for pk, p in new], now)
    if not report.rejected[Rejected.DUPLICATE]:
        del report.rejected[Rejected.DUPLICATE]
    return report
