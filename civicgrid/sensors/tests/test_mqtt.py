"""The MQTT path with a real Mosquitto broker: readings published by a device reach the rules
(the water meter of an elderly person living alone: a care alert, then a case and a door visit),
a message delivered twice is applied once, a malformed one is counted and skipped; a broker
restarted mid-stream (a private Mosquitto with persistence, killed and started again while a
batch is being stored) loses nothing and applies nothing twice; and a consumer killed before its
batch commits, or after it commits but before its acks, loses nothing and applies nothing twice
(acks only after commit)."""

import io
import itertools
import json
import re
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import TestCase

from civicgrid.cases.choices import Channel
from civicgrid.cases.models import Case
from civicgrid.core import events
from civicgrid.sensors import ingest as ingest_module
from civicgrid.sensors import mqtt as consumer_module
from civicgrid.sensors.choices import AlertStatus, Condition
from civicgrid.sensors.models import Alert, Reading
from civicgrid.sensors.mqtt import Consumer, Totals, broker
from civicgrid.sensors.rules import sweep
from civicgrid.testing.factories import build_world
from civicgrid.testing.mqtt import MOSQUITTO, PrivateBroker, broker_up
from civicgrid.testing.residents import build_registry
from civicgrid.testing.sensors import build_sensors, reading

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 3, 10, 10, 0, tzinfo=SHANGHAI)


pytestmark = pytest.mark.skipif(
    not broker_up(*broker(settings.CIVICGRID_MQTT_URL)), reason="no MQTT broker (start mosquitto)"
)


def publish(url: str, topic: str, payloads: list[object]) -> None:
    """Publish with QoS 1 and wait until the broker has each (PUBACK)."""
    host, port = broker(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
    client.connect(host, port)
    client.loop_start()
    try:
        for payload in payloads:
            body = payload if isinstance(payload, bytes) else json.dumps(payload)
            client.publish(topic, body, qos=1).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()


def subscribed(consumer: Consumer) -> None:
    """Open the consumer's persistent session once, so the broker keeps what is published next."""
    consumer.start()
    assert consumer.connected.wait(5)
    time.sleep(0.3)  # the SUBACK
    consumer.stop()


class MqttBase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.registry = build_registry(cls.world.east)
        cls.sensors = build_sensors(cls.world.east, cls.registry)

    def setUp(self) -> None:
        # Readings carry the frozen day's times; the consumer's own clock must be that day too.
        traveller = time_machine.travel(NOW, tick=True)
        traveller.start()
        self.addCleanup(traveller.stop)
        self.prefix = f"civicgrid-test/{uuid.uuid4().hex}"

    def consumer(self, url: str = "", client_id: str = "", **options: object) -> Consumer:
        return Consumer(
            url=url or settings.CIVICGRID_MQTT_URL,
            topics=[f"{self.prefix}/#"],
            client_id=client_id or f"test-{uuid.uuid4().hex[:12]}",
            **options,  # type: ignore[arg-type]
        )


class PublishedReadingTests(MqttBase):
    def test_a_published_reading_reaches_the_care_rule_and_a_case(self) -> None:
        meter = self.sensors.meter
        consumer = self.consumer()
        subscribed(consumer)
        start = NOW - timedelta(hours=20)
        rows = [reading(meter, start + timedelta(hours=h), 5.0 if h < 4 else 0.0) for h in range(20)]
        topic = f"{self.prefix}/water_meter/{meter.vendor_id}"
        publish(settings.CIVICGRID_MQTT_URL, topic, [rows[:10], *rows[10:], rows[-1], b"{not json"])
        with self.captureOnCommitCallbacks(execute=True):
            totals = consumer.run(threading.Event(), idle_exit=1.5)
        self.assertEqual(totals.report.stored, 20)
        self.assertEqual(dict(totals.report.rejected), {"malformed": 1, "duplicate": 1})
        self.assertEqual(Reading.objects.filter(device=meter).count(), 20)
        with self.captureOnCommitCallbacks(execute=True):
            sweep(NOW)
            sweep(NOW + timedelta(minutes=31))
        alert = Alert.objects.get(device=meter, condition=Condition.NO_USE)
        self.assertEqual(alert.status, AlertStatus.ESCALATED)
        self.assertEqual(Case.objects.get(pk=alert.case_id).channel, Channel.SENSOR)
        self.assertEqual(alert.visit.household_id, meter.household_id)
        self.assertEqual(alert.visit.reasons, ["alone"])

    def test_what_arrives_again_is_applied_once(self) -> None:
        smoke = self.sensors.smoke
        consumer = self.consumer()
        subscribed(consumer)
        fire = reading(smoke, NOW - timedelta(seconds=10), event="smoke", key="fire-1")
        publish(settings.CIVICGRID_MQTT_URL, f"{self.prefix}/smoke", [fire, fire, [fire]])
        with self.captureOnCommitCallbacks(execute=True):
            totals = consumer.run(threading.Event(), idle_exit=1.5)
        self.assertEqual((totals.messages, totals.report.stored), (3, 1))
        alert = Alert.objects.get(device=smoke)
        self.assertEqual((alert.repeats, Case.objects.filter(channel=Channel.SENSOR).count()), (0, 1))


@pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto is not installed")
class BrokerDropsTests(MqttBase):
    def test_readings_the_broker_dropped_are_reported(self) -> None:
        """A broker with Mosquitto's kind of queue limit (5 here, 1,000 by default) drops what a
        session that is away cannot queue; the consumer says so on connecting, and again when
        more are dropped while it runs (another session away on the same topic)."""
        private = PrivateBroker(
            Path(self.enterContext(tempfile.TemporaryDirectory())),
            "max_queued_messages 5\nsys_interval 1\n",
        )
        private.start()
        self.addCleanup(private.stop)
        meter, topic = self.sensors.meter, f"{self.prefix}/water_meter"
        consumer = self.consumer(private.url)
        subscribed(consumer)
        publish(private.url, topic, [reading(meter, NOW - timedelta(minutes=30 - i), 1.0) for i in range(20)])

        with self.assertLogs("civicgrid.sensors.mqtt", "ERROR") as logged:
            totals = consumer.run(threading.Event(), idle_exit=2.5)
        self.assertEqual((totals.broker_dropped, totals.report.stored), (15, 5))  # 20 published, 5 kept
        # The count as of connecting (Mosquitto publishes it each sys_interval), then what it grew by.
        self.assertRegex(logged.output[-1], r"dropped (15 more|15) messages")

        other = self.consumer(private.url)
        subscribed(other)  # a second session, away from now on
        later = [reading(meter, NOW - timedelta(minutes=9 - i), 1.0) for i in range(8)]

        def publish_once_connected() -> None:  # no database here: the test's transaction is this thread's
            if consumer.connected.wait(10):
                time.sleep(1.5)  # the count as of connecting has come
                publish(private.url, topic, later)

        publisher = threading.Thread(target=publish_once_connected)
        with self.assertLogs("civicgrid.sensors.mqtt", "ERROR") as logged:
            publisher.start()
            consumer.run(threading.Event(), idle_exit=4)
        publisher.join(10)
        self.assertEqual(consumer.totals.broker_dropped, 18)  # the other session kept 5 of 8
        self.assertIn("dropped 3 more messages", logged.output[-1])
        self.assertEqual(consumer.totals.report.stored, 5 + 8)  # this one, connected, had all 8


@pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto is not installed")
class BrokerRestartTests(MqttBase):
    ROWS = 120

    def restart_after_the_first_batch(self, *, persistence: bool) -> tuple[Totals, list[tuple[int, int]]]:
        """The broker goes down while the consumer stores its first batch (stored, not yet
        acknowledged; most of the stream still with the broker) and comes back half a second later.
        Returns the acks sent as (batches stored when sent, packet id)."""
        private = PrivateBroker(
            Path(self.enterContext(tempfile.TemporaryDirectory())), persistence=persistence
        )
        private.start()
        self.addCleanup(private.stop)
        consumer = self.consumer(private.url, batch_size=10, flush_seconds=0.05)
        subscribed(consumer)
        smoke = self.sensors.smoke
        rows = [
            reading(smoke, NOW - timedelta(seconds=300 - i), 90.0 - i / 10, key=f"r{i}")
            for i in range(self.ROWS)
        ]
        publish(private.url, f"{self.prefix}/smoke", rows)
        real_ingest, real_ack_all = consumer_module.ingest, consumer.client.ack_all
        batches, acks = [0], []

        def ingest_and_restart_once(raws):  # type: ignore[no-untyped-def]
            report = real_ingest(raws)
            batches[0] += 1
            if batches[0] == 1:
                private.stop()
                time.sleep(0.5)
                private.start()
            return report

        def ack_all(mids):  # type: ignore[no-untyped-def]
            acks.extend((batches[0], mid) for mid in mids)
            return real_ack_all(mids)

        consumer_module.ingest = ingest_and_restart_once  # type: ignore[assignment]
        consumer.client.ack_all = ack_all  # type: ignore[method-assign]
        self.addCleanup(setattr, consumer_module, "ingest", real_ingest)
        totals = consumer.run(threading.Event(), idle_exit=6)
        self.assertEqual(totals.connects, 3)  # subscribing, the run, and again after the restart
        return totals, acks

    def test_a_broker_restart_mid_stream_loses_nothing_and_applies_nothing_twice(self) -> None:
        totals, acks = self.restart_after_the_first_batch(persistence=True)
        smoke = self.sensors.smoke
        self.assertEqual(totals.sessions_lost, 0)  # the broker kept the session and its queue
        self.assertEqual(Reading.objects.filter(device=smoke).count(), self.ROWS)  # nothing lost
        # The broker sent again what it never heard acknowledged, and each was known by its key.
        duplicates = totals.report.rejected.get("duplicate", 0)
        self.assertGreaterEqual(duplicates, 10)  # at least the first batch
        self.assertEqual(totals.report.stored, self.ROWS)
        self.assertEqual(totals.messages, self.ROWS + duplicates)
        smoke.refresh_from_db()
        self.assertEqual(smoke.last_value, 90.0 - (self.ROWS - 1) / 10)
        # What came on the connection that dropped (the first batch and what had arrived behind
        # it) is not acknowledged on the new one, where its packet ids may name other messages;
        # the broker's copies are: one ack a reading.
        self.assertNotIn(1, {stored for stored, _mid in acks})
        self.assertEqual(len(acks), self.ROWS)

    def test_a_broker_that_forgot_the_session_is_reported(self) -> None:
        with self.assertLogs("civicgrid.sensors.mqtt", "ERROR") as logged:
            totals, _acks = self.restart_after_the_first_batch(persistence=False)
        self.assertEqual(totals.sessions_lost, 1)
        self.assertIn("did not keep this consumer's session", logged.output[0])
        # What the consumer held is stored; the rest went with the broker's memory.
        self.assertLess(Reading.objects.filter(device=self.sensors.smoke).count(), self.ROWS)


class Crash(BaseException):
    """The consumer's process dies here (not an error its retry loop would catch)."""


class AckAfterCommitTests(MqttBase):
    """A consumer killed mid-batch: before its batch commits, nothing of the batch is acknowledged
    or kept; after it commits but before the acks, the broker sends the batch again and it is
    known by its keys. Either way a second consumer on the same session ends with every reading
    stored once and applied once (the alarm's repeats count each reading once)."""

    ROWS = 30

    def run_until_crash(self, crash_where: str) -> tuple[list[tuple[str, object]], Consumer]:
        smoke = self.sensors.smoke
        client_id = f"test-crash-{uuid.uuid4().hex[:8]}"
        first = self.consumer(client_id=client_id, batch_size=10, flush_seconds=0.05)
        subscribed(first)
        start = NOW - timedelta(seconds=300)
        rows = [
            reading(smoke, start + timedelta(seconds=i), event="smoke", key=f"c{i}") for i in range(self.ROWS)
        ]
        publish(settings.CIVICGRID_MQTT_URL, f"{self.prefix}/smoke", rows)
        trail: list[tuple[str, object]] = []
        real_ingest, real_apply = consumer_module.ingest, ingest_module.apply_readings
        real_ack_all = first.client.ack_all

        def ingest(raws):  # type: ignore[no-untyped-def]
            report = real_ingest(raws)
            trail.append(("committed", len(raws)))
            return report

        def apply(readings, now):  # type: ignore[no-untyped-def]
            if crash_where == "before commit" and sum(1 for step, _n in trail if step == "committed") == 1:
                raise Crash  # inside the batch's transaction: it rolls back
            return real_apply(readings, now)

        def ack_all(mids):  # type: ignore[no-untyped-def]
            if crash_where == "before ack" and sum(1 for step, _n in trail if step == "committed") == 2:
                raise Crash  # the second batch is stored; none of its messages acknowledged
            trail.extend(("ack", mid) for mid in mids)
            return real_ack_all(mids)

        consumer_module.ingest = ingest  # type: ignore[assignment]
        ingest_module.apply_readings = apply  # type: ignore[assignment]
        first.client.ack_all = ack_all  # type: ignore[method-assign]
        self.addCleanup(setattr, consumer_module, "ingest", real_ingest)
        self.addCleanup(setattr, ingest_module, "apply_readings", real_apply)
        with self.assertRaises(Crash), self.captureOnCommitCallbacks(execute=True):
            first.run(threading.Event(), idle_exit=3)
        consumer_module.ingest, ingest_module.apply_readings = real_ingest, real_apply  # type: ignore[assignment]
        second = self.consumer(client_id=client_id, batch_size=10, flush_seconds=0.05)
        return trail, second

    def assert_once(self, second: Consumer, stored_before: int, acked: int) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            totals = second.run(threading.Event(), idle_exit=3)
        # The broker took the first consumer's acks (a batch's written at once): only the rest
        # came again.
        self.assertEqual(totals.messages, self.ROWS - acked)
        smoke = self.sensors.smoke
        self.assertEqual(Reading.objects.filter(device=smoke).count(), self.ROWS)
        self.assertEqual(totals.report.stored, self.ROWS - stored_before)
        alert = Alert.objects.get(device=smoke, condition=Condition.ALARM)
        self.assertEqual(alert.repeats, self.ROWS - 1)
        self.assertEqual(Case.objects.filter(channel=Channel.SENSOR).count(), 1)

    def test_killed_before_its_batch_commits_nothing_is_acknowledged_or_kept(self) -> None:
        trail, second = self.run_until_crash("before commit")
        # The first batch committed, then was acknowledged; the second died in its transaction.
        self.assertEqual([step for step, _n in trail].count("committed"), 1)
        self.assertEqual(trail[0], ("committed", 10))
        self.assertEqual([step for step, _n in trail[1:]], ["ack"] * 10)
        self.assertEqual(Reading.objects.filter(device=self.sensors.smoke).count(), 10)
        self.assert_once(second, stored_before=10, acked=10)

    def test_killed_between_commit_and_ack_the_batch_comes_again_and_is_known(self) -> None:
        trail, second = self.run_until_crash("before ack")
        steps = [step for step, _n in trail]
        self.assertEqual(steps, ["committed", *["ack"] * 10, "committed"])  # no ack before its commit
        self.assertEqual(Reading.objects.filter(device=self.sensors.smoke).count(), 20)
        self.assert_once(second, stored_before=20, acked=10)


class SharedSubscriptionTests(MqttBase):
    def test_consumers_of_one_group_share_the_stream_and_store_each_reading_once(self) -> None:
        """Several consumer processes (sensor_consumer --share): the broker hands each message
        to one member, so each reading is stored once whichever member took it."""
        group = f"test-{uuid.uuid4().hex[:8]}"
        members = [self.consumer(share=group), self.consumer(share=group)]
        for member in members:
            subscribed(member)
        smoke = self.sensors.smoke
        rows = [reading(smoke, NOW - timedelta(minutes=m), 20.0 + m, key=f"r{m}") for m in range(10)]
        publish(settings.CIVICGRID_MQTT_URL, f"{self.prefix}/smoke", rows)
        stored = [member.run(threading.Event(), idle_exit=1.5).report.stored for member in members]
        self.assertEqual(sum(stored), 10)
        self.assertTrue(all(stored), stored)  # both took a share
        self.assertEqual(Reading.objects.filter(device=smoke).count(), 10)
        smoke.refresh_from_db()
        self.assertEqual((smoke.last_seen_at, smoke.last_value), (NOW, 20.0))  # the latest, whoever

    def test_the_command_runs_as_a_member_of_a_group(self) -> None:
        group, ids = f"test-{uuid.uuid4().hex[:8]}", [f"test-{uuid.uuid4().hex[:8]}" for _ in range(2)]
        for client_id in ids:
            subscribed(self.consumer(client_id=client_id, share=group))
        cover = self.sensors.cover
        rows = [reading(cover, NOW - timedelta(minutes=m), 1.0, key=f"c{m}") for m in range(6)]
        publish(settings.CIVICGRID_MQTT_URL, f"{self.prefix}/cover", rows)
        printed = []
        with self.settings(CIVICGRID_MQTT_TOPICS=[f"{self.prefix}/#"]):
            for client_id in ids:
                out = io.StringIO()
                call_command(
                    "sensor_consumer",
                    "--client-id",
                    client_id,
                    "--share",
                    group,
                    "--idle-exit",
                    "1.5",
                    stdout=out,
                )
                printed.append(out.getvalue())
        self.assertEqual(Reading.objects.filter(device=cover).count(), 6)
        stored = [int(re.search(r"stored (\d+),", text).group(1)) for text in printed]  # type: ignore[union-attr]
        self.assertEqual(sum(stored), 6)
        self.assertTrue(all(stored), printed)  # each member took its share
        self.assertTrue(
            all(text.rstrip().endswith("sessions the broker lost 0") for text in printed), printed
        )


class EventKickTests(MqttBase):
    def test_the_batches_events_are_handed_on_at_most_twice_a_second_and_at_the_end(self) -> None:
        smoke = self.sensors.smoke
        consumer = self.consumer(batch_size=1)
        subscribed(consumer)
        # Alarm, clear, alarm …: every batch writes events (raised, recovered).
        rows = [
            reading(
                smoke, NOW - timedelta(seconds=30 - i), event="smoke" if i % 2 == 0 else "clear", key=f"k{i}"
            )
            for i in range(7)
        ]
        publish(settings.CIVICGRID_MQTT_URL, f"{self.prefix}/smoke", rows)
        kicks: list[float] = []
        with mock.patch.object(events, "kick", side_effect=lambda: kicks.append(time.monotonic())):
            totals = consumer.run(threading.Event(), idle_exit=1.5)
        self.assertEqual(totals.batches, 7)
        self.assertLess(len(kicks), 7)
        self.assertGreaterEqual(len(kicks), 1)
        # Apart by KICK_SECONDS while batches come; the last one when none is coming any more.
        gaps = [b - a for a, b in itertools.pairwise(kicks[:-1])]
        self.assertTrue(all(gap >= consumer_module.KICK_SECONDS for gap in gaps), gaps)
        self.assertEqual(Alert.objects.filter(device=smoke).count(), 4)
