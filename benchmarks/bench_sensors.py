"""sensors: ingest throughput through the whole path, against a bare MQTT subscriber.

K simulated readings (sensors.simulator: the demo's five device types on D registered devices,
its daily patterns and occasional anomalies — some alarms open cases) are published with QoS 1
to a unique topic while the persistent sessions of the bare subscribers and
the consumers are subscribed but away, so the broker holds
the whole stream for each. Then, one after the other in the same run, each drains it:
(a) the baseline, a bare paho-mqtt subscriber that only receives and json-parses every message;
(a') the same on the consumer's own client (`sensors.mqtt.Client`, which reads faster than paho);
(b) the whole path, `sensors.mqtt.Consumer` (parse, validate, store, evaluate the rules,
acknowledge after commit) from its own session — or, `consumers` > 1, that many consumer processes,
members of one shared subscription, started together. Readings per second of each, and the ratio.
Then the alarms' cases, which the events worker opens in a deployment, are opened and timed apart.

The broker is a private Mosquitto with the queue limits a deployment needs (Mosquitto's default
keeps only 1,000 messages for a session that is away or slow, and drops the rest): see
docs/sensors.md. Without a mosquitto binary, the broker of CIVICGRID_MQTT_URL is used
and the figures say what it dropped."""

import json
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from .common import Figure, Result, Target, Timer, rate

TARGET_RATE = 10_000
TARGET_RATIO = 0.5
# What a deployment's mosquitto.conf needs for a consumer that may be away or busy.
BROKER_LIMITS = "max_queued_messages 0\nmax_queued_bytes 0\n"


def register_devices(n: int, mark: str) -> list[Any]:
    """`n` devices of the five types in the first demo street (bulk rows: set-up, not measured)."""
    from civicgrid.geo.choices import AreaKind
    from civicgrid.geo.models import Area, Building
    from civicgrid.sensors.models import Device, DeviceType

    street = Area.objects.filter(kind=AreaKind.STREET).order_by("code").first()
    if street is None:
        raise RuntimeError("no street: load the demo geography first (load_demo --no-cases)")
    buildings = list(Building.objects.filter(street=street).order_by("pk")[:200])
    types = list(DeviceType.objects.filter(active=True).order_by("code"))
    return Device.objects.bulk_create(
        [
            Device(
                type=types[i % len(types)],
                vendor_id=f"B{mark}-{i:06d}",
                street=street,
                building=buildings[i % len(buildings)] if buildings else None,
                area_id=buildings[i % len(buildings)].residential_area_id if buildings else None,
            )
            for i in range(n)
        ]
    )


def _session(url: str, client_id: str, topic: str) -> None:
    """Open a persistent QoS 1 session on `topic` and leave: the broker keeps what comes next."""
    import paho.mqtt.client as mqtt

    from civicgrid.sensors.mqtt import broker

    ready = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    client.on_subscribe = lambda *_a: ready.set()
    client.on_connect = lambda c, *_a: c.subscribe(topic, 1)
    client.connect(*broker(url))
    client.loop_start()
    if not ready.wait(10):
        raise RuntimeError("the broker did not confirm the subscription")
    client.loop_stop()
    client.disconnect()


def bare_subscriber(
    url: str, client_id: str, expected: int, idle: float = 3.0, *, lean: bool = False
) -> tuple[int, float]:
    """Readings received and json-parsed from the session, and the seconds until the last.
    `lean`: on the consumer's own client (`sensors.mqtt.Client`, its way of reading), each
    message acknowledged as it comes, rather than on paho's."""
    import paho.mqtt.client as mqtt

    from civicgrid.sensors.mqtt import Client, broker

    seen = {"readings": 0, "last": 0.0}
    done = threading.Event()

    def on_message(_client: Any, _userdata: Any, message: Any) -> None:
        data = json.loads(message.payload)
        seen["readings"] += len(data) if isinstance(data, list) else 1
        seen["last"] = time.perf_counter()
        if seen["readings"] >= expected:
            done.set()

    client: mqtt.Client
    if lean:
        client = Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, manual_ack=True
        )

        def deliver(packet: Any) -> None:
            on_message(client, None, packet)
            client.ack(packet.mid, packet.qos)

        client.deliver = deliver
    else:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    client.on_message = on_message
    started = time.perf_counter()
    client.connect(*broker(url))
    client.loop_start()
    while not done.wait(idle):
        if time.perf_counter() - (seen["last"] or started) > idle:
            break  # the broker has nothing more: some were dropped
    client.loop_stop()
    client.disconnect()
    return int(seen["readings"]), (seen["last"] or time.perf_counter()) - started


def whole_path(url: str, client_id: str, topic: str, idle: float = 5.0) -> tuple[Any, float]:
    """The consumer's totals after draining the session (it stops `idle` seconds after the last
    message), and the seconds until its last batch was acknowledged. Nothing else runs beside it:
    a thread watching its progress would take the interpreter's lock from it."""
    from civicgrid.sensors.mqtt import Consumer

    consumer = Consumer(url=url, topics=[topic], client_id=client_id)
    consumer.prepare()
    started = time.perf_counter()
    totals = consumer.run(threading.Event(), idle_exit=idle)
    return totals, (totals.last_batch_at or time.perf_counter()) - started


def _member(url: str, client_id: str, topic: str, share: str, ready: Any, go: Any, results: Any) -> None:
    """One consumer process of a shared subscription (spawned: Django set up from the parent's
    environment), started when every member is ready."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    django.setup()
    from civicgrid.sensors.mqtt import Consumer

    consumer = Consumer(url=url, topics=[topic], client_id=client_id, share=share)
    consumer.prepare()  # the process's first kick: once a process, not part of the stream's rate
    ready.put(client_id)
    go.wait()
    results.put(consumer.run(threading.Event(), idle_exit=5.0))


def shared_path(url: str, client_ids: list[str], topic: str, share: str) -> tuple[Any, float]:
    """`whole_path` with one consumer process per client id, members of one shared subscription:
    their totals added up, and the seconds from the start to the last batch of any."""
    import multiprocessing

    from civicgrid.sensors.mqtt import Totals

    spawn = multiprocessing.get_context("spawn")
    ready, results, go = spawn.Queue(), spawn.Queue(), spawn.Event()
    members = [
        spawn.Process(target=_member, args=(url, client_id, topic, share, ready, go, results))
        for client_id in client_ids
    ]
    for member in members:
        member.start()
    for _member_id in client_ids:
        ready.get(timeout=120)
    started = time.perf_counter()
    go.set()
    totals, last = Totals(), 0.0
    for _member_id in client_ids:
        one = results.get()
        totals.messages += one.messages
        totals.batches += one.batches
        totals.failures += one.failures
        totals.report.add(one.report)
        last = max(last, one.last_batch_at)
    for member in members:
        member.join()
    return totals, (last or time.perf_counter()) - started


def run(
    readings: int = 50_000,
    devices: int = 1_000,
    batch: int = 1,
    url: str = "",
    seed: int = 1,
    consumers: int = 1,
) -> Result:
    from django.conf import settings

    from civicgrid.core import clock, events
    from civicgrid.sensors.actions.alerts import ALARM_CASES
    from civicgrid.sensors.models import Alert, Reading
    from civicgrid.sensors.mqtt import shared
    from civicgrid.sensors.simulator import SimDevice, Simulator, publish
    from civicgrid.testing.mqtt import MOSQUITTO, PrivateBroker

    notes: list[str] = []
    private = None
    if not url and Path(MOSQUITTO).exists():
        folder = tempfile.TemporaryDirectory(prefix="civicgrid-bench-mqtt-")
        private = PrivateBroker(Path(folder.name), BROKER_LIMITS)
        private.start()
        url = private.url
    elif not url:
        url = settings.CIVICGRID_MQTT_URL
        notes.append(
            f"no mosquitto binary: the broker of CIVICGRID_MQTT_URL ({url}) with its own queue limits"
        )
    try:
        mark = uuid.uuid4().hex[:6]
        rows = register_devices(devices, mark)
        sim_devices = [SimDevice(d.type.code, d.vendor_id) for d in rows]
        rounds = -(-readings // len(sim_devices))
        # A reading a minute per device, ending now: all within the consumer's accepted window.
        simulator = Simulator(
            devices=sim_devices,
            start=clock.now() - timedelta(minutes=rounds + 1),
            interval=timedelta(minutes=1),
            seed=seed,
        )
        prefix = f"civicgrid-bench/{mark}"
        topic = f"{prefix}/#"
        bare_id, lean_id, path_id = f"bench-bare-{mark}", f"bench-lean-{mark}", f"bench-path-{mark}"
        members = [f"{path_id}-{k}" for k in range(1, consumers + 1)]
        share = f"bench-{mark}"
        _session(url, bare_id, topic)
        _session(url, lean_id, topic)
        if consumers == 1:
            _session(url, path_id, topic)
        else:
            for member in members:
                _session(url, member, shared(topic, share))
        with Timer() as publishing:
            sent = publish(
                simulator, url=url, prefix=prefix, count=readings, batch=batch, client_id=f"bench-pub-{mark}"
            )
        received, bare_seconds = bare_subscriber(url, bare_id, readings)
        lean_received, lean_seconds = bare_subscriber(url, lean_id, readings, lean=True)
        if consumers == 1:
            totals, path_seconds = whole_path(url, path_id, topic)
        else:
            totals, path_seconds = shared_path(url, members, topic, share)
        # What the events worker does meanwhile in another process: the alarms' cases.
        with Timer() as escalating:
            escalated = sum(events.run(ALARM_CASES).results)
        stored = Reading.objects.filter(device__vendor_id__startswith=f"B{mark}-").count()
        alerts = Alert.objects.filter(device__vendor_id__startswith=f"B{mark}-").count()
    finally:
        if private is not None:
            private.stop()
            folder.cleanup()
    bare_rate = rate(received, bare_seconds)
    lean_rate = rate(lean_received, lean_seconds)
    path_rate = rate(totals.report.stored, path_seconds)
    ratio = path_rate / bare_rate if bare_rate else 0.0
    result = Result(
        name="sensors",
        size=f"{readings:,} readings of {len(sim_devices):,} devices, {batch} per message, "
        f"{sent.messages:,} messages",
        figures=[
            Figure("whole path (Consumer: parse, validate, store, rules)", path_rate, "readings/s"),
            Figure("consumer processes sharing the stream", consumers),
            Figure("baseline bare paho subscriber (receive + json)", bare_rate, "readings/s"),
            Figure(
                "bare subscriber on the consumer's client (receive + json + ack)", lean_rate, "readings/s"
            ),
            Figure(
                "whole path / bare subscriber on the consumer's client",
                100 * path_rate / lean_rate if lean_rate else 0,
                "%",
            ),
            Figure("publishing (QoS 1, acknowledged)", rate(sent.readings, publishing.seconds), "readings/s"),
            Figure("readings stored", stored),
            Figure("readings the baseline received", received),
            Figure("consumer batches", totals.batches),
            Figure("consumer batches that failed and were retried", totals.failures),
            Figure("alerts raised by the rules", alerts),
            Figure("alarms' cases opened by the events worker, after", escalated),
            Figure("events worker: time for those cases", escalating.seconds * 1000, "ms"),
        ],
        ratio=ratio,
        ratio_label="whole path / bare subscriber",
        targets=[
            Target(f"whole path ≥ {TARGET_RATE:,} readings/s", path_rate >= TARGET_RATE),
            Target(f"whole path ≥ {TARGET_RATIO:.0%} of the bare subscriber", ratio >= TARGET_RATIO),
        ],
        agree=stored == readings == received == lean_received and totals.report.stored == readings,
        notes=notes,
    )
    if not result.agree:
        result.notes.append(
            f"lost on the way: the broker delivered {received:,} to the baseline, "
            f"the consumer stored {stored:,}"
        )
    return result
