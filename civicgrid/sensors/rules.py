"""The rules. On readings (`apply_readings`, inside the ingest's transaction): the devices'
last seen / last value / last use move on; a reading above its type's limit or an alarm event
raises an ALARM (a case at once), a clearing event or a reading back under the limit ends it;
use ends a NO_USE alert, any reading an OFFLINE one. On the clock (`sweep`, every few minutes):
a watched flat's meter without use for the street's hours raises a care alert (NO_USE), one
nobody answered in the street's minutes becomes a case and a door visit, a device silent past
its type's limit raises OFFLINE. Quiet hours hold back NO_USE and OFFLINE, never an alarm."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from civicgrid.core import profile
from civicgrid.core.bulk import update_values
from civicgrid.residents.choices import CareKind
from civicgrid.residents.models import CareTag

from .choices import LIVE, AlertStatus, Condition
from .models import Alert, Device

Seen = tuple[Device, datetime, float | None, str]
Live = dict[tuple[int, str], int]  # (device id, condition) → the live alert's id


@dataclass
class Repeats:
    """A batch's readings that repeat a live alarm, gathered into one update for all alerts."""

    pending: dict[int, tuple[int, datetime, float | None, str]] = field(default_factory=dict)

    def add(self, alert_id: int, at: datetime, value: float | None, event: str) -> None:
        times, last, _v, _e = self.pending.get(alert_id, (0, at, None, ""))
        self.pending[alert_id] = (times + 1, max(last, at), value, event)

    def write(self) -> None:
        from .actions.alerts import repeats

        repeats([(pk, *repeated) for pk, repeated in self.pending.items()])


def apply_readings(readings: Sequence[Seen], now: datetime) -> None:
    """The batch's new readings, each with its device as the register holds it (with its type,
    sensors.directory). The devices' live state is not read: each device's latest in the batch
    meets the stored one in the UPDATE, so readings out of order and two writers at once leave
    the later reading in place."""
    by_device: dict[int, list[Seen]] = defaultdict(list)
    for seen in readings:
        by_device[seen[0].pk].append(seen)
    # Consumers sharing a stream write the same alerts and devices at once: each takes its locks
    # in one order (the live alerts up front, by id; new alerts by device; the devices by id
    # last), or two batches holding what the other waits for deadlock, and one is retried.
    live: Live = {
        (device_id, condition): pk
        for pk, device_id, condition in Alert.objects.filter(device_id__any=list(by_device), status__in=LIVE)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", "device_id", "condition")
    }
    latest: list[tuple[int, datetime, float | None, datetime | None]] = []
    repeats = Repeats()
    for device_id, rows in sorted(by_device.items()):
        rows.sort(key=lambda r: r[1])
        device = rows[0][0]
        used = [
            at for _d, at, value, _e in rows if device.type.watches_use and value is not None and value > 0
        ]
        _device, at, value, _event = rows[-1]
        latest.append((device_id, at, value, used[-1] if used else None))
        _alarms(device, rows, live, repeats)
        if (device_id, Condition.OFFLINE) in live:
            _recover(live[(device_id, Condition.OFFLINE)], rows[-1][1])
        if used and (device_id, Condition.NO_USE) in live:
            _recover(live[(device_id, Condition.NO_USE)], used[-1])
    repeats.write()
    update_values(
        Device,
        ["last_seen_at", "last_value", "last_use_at"],
        latest,  # in device id order, as the loop went
        combine={
            "last_seen_at": "latest",
            "last_value": ("follows", "last_seen_at"),
            "last_use_at": "latest",
        },
    )


def _alarms(device: Device, rows: list[Seen], live: Live, repeats: Repeats) -> None:
    from .actions.alerts import raise_alert

    kind = device.type
    for _d, at, value, event in rows:
        over = kind.alarm_above is not None and value is not None and value > kind.alarm_above
        if over or (event and event in kind.alarm_events):
            current = live.get((device.pk, Condition.ALARM))
            if current is not None:
                repeats.add(current, at, value, event)
                continue
            alert = raise_alert(device, Condition.ALARM, at=at, value=value, event=event)
            if alert is not None:
                live[(device.pk, Condition.ALARM)] = alert.pk
            continue
        under = kind.alarm_above is not None and value is not None and not event
        current = live.get((device.pk, Condition.ALARM))
        if current is not None and ((event and event in kind.clear_events) or under):
            _recover(current, at)
            live.pop((device.pk, Condition.ALARM))


def _recover(alert_id: int, at: datetime) -> None:
    from .actions.alerts import recover

    recover(alert_id, at=at)


# ---------------------------------------------------------------------------- on the clock


@dataclass
class SweepReport:
    raised: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    escalated: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"raised": dict(self.raised), "escalated": self.escalated}


def quiet(street_id: int, at: datetime) -> bool:
    start = profile.value("sensors.quiet_start_hour", street_id)
    end = profile.value("sensors.quiet_end_hour", street_id)
    hour = timezone.localtime(at).hour
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end


def sweep(now: datetime) -> SweepReport:
    """The clock's rules for every street with devices; idempotent (live alerts repeat, not double)."""
    from .actions.alerts import auto_escalate, raise_alert

    report = SweepReport()
    streets = Device.objects.filter(active=True).values_list("street_id", flat=True).distinct()
    for street_id in sorted(set(streets)):
        minutes = profile.value("sensors.escalate_minutes", street_id)
        for alert in Alert.objects.filter(
            street_id=street_id,
            condition=Condition.NO_USE,
            status=AlertStatus.OPEN,
            opened_at__lte=now - timedelta(minutes=minutes),
        ):
            report.escalated += auto_escalate(alert.pk)
        if quiet(street_id, now):
            continue
        for device, condition, value in _due(street_id, now):
            if raise_alert(device, condition, at=now, value=value) is not None:
                report.raised[condition] += 1
    return report


def _due(street_id: int, now: datetime) -> list[tuple[Device, str, float | None]]:
    """The street's devices that a NO_USE or an OFFLINE alert is due for and has none live."""
    devices = Device.objects.filter(street_id=street_id, active=True, type__active=True).select_related(
        "type"
    )
    has_live = Alert.objects.filter(street_id=street_id, status__in=LIVE).values_list(
        "device_id", "condition"
    )
    live = set(has_live)
    due: list[tuple[Device, str, float | None]] = []
    for device in devices.exclude(last_seen_at__isnull=True):
        limit = now - timedelta(minutes=device.type.offline_minutes)
        if device.last_seen_at < limit and (device.pk, Condition.OFFLINE) not in live:  # type: ignore[operator]
            due.append((device, Condition.OFFLINE, None))
    hours = profile.value("sensors.no_use_hours", street_id)
    since = now - timedelta(hours=hours)
    alone = CareTag.objects.filter(kind=CareKind.ALONE, starts_on__lte=now.date()).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=now.date())
    )
    watched = devices.filter(
        type__watches_use=True,
        person__isnull=False,
        person_id__in=alone.values("person_id"),
        last_seen_at__gte=since,  # online: a silent meter is the OFFLINE rule's
    ).filter(Q(last_use_at__lt=since) | Q(last_use_at__isnull=True, installed_on__lte=since.date()))
    # Answered (or ended) within the window: the hours count again from then.
    lately = set(
        Alert.objects.filter(
            street_id=street_id, condition=Condition.NO_USE, closed_at__gt=since
        ).values_list("device_id", flat=True)
    )
    for device in watched:
        if (device.pk, Condition.NO_USE) not in live and device.pk not in lately:
            idle = (now - device.last_use_at).total_seconds() / 3600 if device.last_use_at else None
            due.append((device, Condition.NO_USE, round(idle, 1) if idle is not None else None))
    return due
