"""The sensor simulator (`manage.py simulate_sensors`): realistic readings of registered devices,
published over MQTT in the payload format of `ingest.py`, so that the whole path (broker,
consumer, rules, alerts) can be shown and tested without hardware.

The patterns are pure functions of a device, a simulated moment and a seeded random generator:
a water meter follows a day of use (morning and evening peaks, almost nothing at night; litres
since its last reading), a smoke detector sends its battery, a charging cabinet its temperature,
a manhole cover its tilt, a water-level sensor its level. Now and then (`anomaly_rate`, per
reading) a device goes wrong for a while: a meter shows no use for hours, a detector smells
smoke, a cabinet runs hot, a cover opens, the water rises — and then recovers.

Time can be compressed (`speed`: simulated minutes per real second). The simulated span ends
at the moment the run ends, so compressed readings lie in the recent past (the consumer refuses
readings from the future: `CIVICGRID_SENSORS_MAX_AHEAD_SECONDS`)."""

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

# Litres an elderly person living alone uses in each hour of the day (about 110 a day):
# washing and breakfast, cooking at noon, dinner and a bath in the evening, next to nothing at night.
WATER_BY_HOUR = (
    0.3, 0.2, 0.2, 0.2, 0.3, 1.5, 9.0, 14.0, 10.0, 5.0, 4.0, 6.0,
    8.0, 4.0, 3.0, 3.0, 4.0, 7.0, 11.0, 10.0, 7.0, 4.0, 2.0, 0.8,
)  # fmt: skip
# How long an anomaly lasts, in simulated hours.
ANOMALY_HOURS = {
    "water_meter": 14.0,  # past the street's no-use hours (12 by default)
    "smoke_detector": 0.5,
    "ebike_cabinet": 1.0,
    "manhole_cover": 3.0,
    "water_level": 4.0,
}


@dataclass(frozen=True)
class SimDevice:
    type: str
    vendor_id: str


@dataclass
class Anomaly:
    until: datetime
    started: bool = False  # the first reading of an event-type anomaly carries the event


def water_use(at: datetime, minutes: float, rng: random.Random) -> float:
    """Litres used in the `minutes` before `at` (local time), following the day's pattern."""
    local = timezone.localtime(at - timedelta(minutes=minutes / 2))  # the interval's middle
    hour = local.hour + local.minute / 60
    # Interpolate between the hours' figures so that short intervals vary smoothly.
    low, frac = int(hour) % 24, hour - int(hour)
    per_hour = WATER_BY_HOUR[low] * (1 - frac) + WATER_BY_HOUR[(low + 1) % 24] * frac
    expected = per_hour * minutes / 60
    if expected < 0.05 and rng.random() < 0.7:
        return 0.0  # a quiet night: most short intervals show nothing at all
    return round(max(0.0, rng.gauss(expected, expected * 0.35)), 2)


def battery(vendor_id: str, at: datetime) -> float:
    """A smoke detector's battery: from 100 % down a little every day, each device its own age."""
    age_days = int(hashlib.sha1(vendor_id.encode()).hexdigest()[:4], 16) % 900
    days = at.timestamp() / 86400 + age_days
    return round(max(5.0, 100.0 - (days % 1000) * 0.09), 1)


def cabinet_temperature(at: datetime, rng: random.Random) -> float:
    """A charging cabinet's temperature: warmer in the afternoon and while bikes charge at night."""
    hour = timezone.localtime(at).hour
    base = 24 + 6 * math.sin((hour - 9) / 24 * 2 * math.pi) + (8 if hour >= 21 or hour < 5 else 0)
    return round(base + rng.gauss(0, 1.2), 1)


def reading_value(
    device: SimDevice, at: datetime, minutes: float, rng: random.Random, anomaly: Anomaly | None
) -> tuple[float | None, str]:
    """The (value, event) a device reports at `at`, `minutes` after its last reading."""
    kind = device.type
    if kind == "water_meter":
        return (0.0 if anomaly else water_use(at, minutes, rng)), ""
    if kind == "smoke_detector":
        if anomaly:
            return None, "smoke"
        return battery(device.vendor_id, at), ""
    if kind == "ebike_cabinet":
        if anomaly:
            return round(68 + rng.random() * 10, 1), ""
        return cabinet_temperature(at, rng), ""
    if kind == "manhole_cover":
        if anomaly:
            return round(30 + rng.random() * 40, 1), "open"
        return round(abs(rng.gauss(0, 0.6)), 1), ""
    if kind == "water_level":
        if anomaly:
            return round(25 + rng.random() * 15, 1), ""
        return round(max(0.0, rng.gauss(1.0, 0.8)), 1), ""
    return round(rng.random() * 10, 2), ""  # a type added as a row: some number


# The events that end an event-type anomaly (the device types' clearing events).
CLEARING = {"smoke_detector": "clear", "manhole_cover": "closed"}


def reading_id(device: SimDevice, at: datetime) -> str:
    """The idempotency key: the same device at the same moment is the same reading."""
    return hashlib.sha1(f"{device.type}/{device.vendor_id}/{at.isoformat()}".encode()).hexdigest()[:24]


@dataclass
class Simulator:
    """The readings of `devices`, round robin, each `interval` of simulated time after its last."""

    devices: list[SimDevice]
    start: datetime
    interval: timedelta  # simulated time between two readings of one device
    seed: int = 1
    anomaly_rate: float = 0.002  # chance per reading that the device starts an anomaly
    anomalies: dict[str, Anomaly] = field(default_factory=dict)
    started: int = 0  # anomalies begun

    def __post_init__(self) -> None:
        self.rng = random.Random(f"civicgrid-sensors-sim:{self.seed}")

    def reading(self, k: int) -> dict[str, Any]:
        """The k-th reading (k = 0, 1, …): device k mod N at its round's moment."""
        n = len(self.devices)
        device = self.devices[k % n]
        # Spread the devices over the interval so that the stream is even in simulated time.
        at = self.start + self.interval * (k // n) + self.interval * (k % n) / n
        at = at.replace(microsecond=0)
        minutes = self.interval.total_seconds() / 60
        anomaly = self._anomaly(device, at)
        value, event = reading_value(device, at, minutes, self.rng, anomaly)
        if anomaly is None and device.vendor_id in self.anomalies:
            del self.anomalies[device.vendor_id]
            event = CLEARING.get(device.type, "")  # over: a clearing event where the type has one
        raw: dict[str, Any] = {"type": device.type, "device": device.vendor_id, "at": at.isoformat()}
        if value is not None:
            raw["value"] = value
        if event:
            raw["event"] = event
        raw["id"] = reading_id(device, at)
        return raw

    def _anomaly(self, device: SimDevice, at: datetime) -> Anomaly | None:
        current = self.anomalies.get(device.vendor_id)
        if current is not None:
            return current if at < current.until else None
        if self.rng.random() < self.anomaly_rate:
            hours = ANOMALY_HOURS.get(device.type, 1.0)
            self.anomalies[device.vendor_id] = Anomaly(until=at + timedelta(hours=hours))
            self.started += 1
            return self.anomalies[device.vendor_id]
        return None

    def messages(self, count: int, batch: int = 1) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """`count` readings in messages of up to `batch` readings: (topic suffix, readings)."""
        for first in range(0, count, batch):
            rows = [self.reading(k) for k in range(first, min(first + batch, count))]
            if len(rows) == 1:
                yield f"{rows[0]['type']}/{rows[0]['device']}", rows
            else:
                yield "gateway", rows


def payload(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows[0] if len(rows) == 1 else rows, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Published:
    readings: int = 0
    messages: int = 0
    seconds: float = 0.0


def publish(
    simulator: Simulator,
    *,
    url: str,
    prefix: str,
    count: int,
    rate: float = 0.0,
    batch: int = 1,
    client_id: str = "",
    progress: Callable[[Published], None] | None = None,
) -> Published:
    """Publish `count` readings with QoS 1 at `rate` readings a second (0: as fast as the broker
    takes them), waiting at the end until the broker has acknowledged every message."""
    import paho.mqtt.client as mqtt

    from .mqtt import broker

    host, port = broker(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    client.max_inflight_messages_set(1000)
    client.connect(host, port)
    client.loop_start()
    done = Published()
    started = time.monotonic()
    last_report = started
    pending = []
    try:
        for suffix, rows in simulator.messages(count, batch):
            if rate > 0:
                ahead = started + done.readings / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            pending.append(client.publish(f"{prefix}/{suffix}", payload(rows), qos=1))
            done.readings += len(rows)
            done.messages += 1
            if len(pending) >= 5000:  # keep paho's outgoing queue bounded
                for info in pending:
                    info.wait_for_publish(30)
                pending.clear()
            if progress is not None and time.monotonic() - last_report >= 5:
                last_report = time.monotonic()
                done.seconds = last_report - started
                progress(done)
        for info in pending:
            info.wait_for_publish(30)
    finally:
        client.loop_stop()
        client.disconnect()
    done.seconds = time.monotonic() - started
    return done
