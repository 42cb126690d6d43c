"""The MQTT consumer (`manage.py sensor_consumer`): a persistent session (a fixed client id,
clean_session off, QoS 1) on the broker of CIVICGRID_MQTT_URL, reading the topics of
CIVICGRID_MQTT_TOPICS. Messages are gathered into batches and handed to `ingest.ingest`; each is
acknowledged (manual acks) only once its batch has committed, so a crash or a lost database
leaves it with the broker to be delivered again, and the idempotency key stores it once. paho
reconnects by itself when the broker restarts; the session's unacknowledged messages then come
again, so what arrived on a connection that has since dropped is stored (known by its key if it
comes again) but not acknowledged: its packet id may name another message on the new connection.
A reconnect that finds the session gone (a broker without persistence) is logged as an error.

A broker drops what it may not queue (Mosquitto's `max_queued_messages`, 1,000 by default, for a
session that is away or behind) without telling the subscriber; the consumer reads Mosquitto's
count of dropped messages ($SYS, broker-wide) and logs an error when it is above zero on connecting
and whenever it grows, so a deployment with the default limits is noticed."""

import logging
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import connection
from paho.mqtt import _packet

from civicgrid.core import events

from . import directory
from .ingest import Report, ingest, messages

log = logging.getLogger(__name__)

# Mosquitto's count of messages dropped for queue limits since it started (other brokers: silent).
DROPPED = "$SYS/broker/publish/messages/dropped"
KICK_SECONDS = 0.5
PUBACK = struct.Struct("!BBH")  # MQTT's PUBACK: the packet type, its length (2), the packet id


@dataclass
class Totals:
    messages: int = 0
    batches: int = 0
    report: Report = field(default_factory=Report)
    failures: int = 0
    connects: int = 0
    last_batch_at: float = 0.0  # time.perf_counter() when the last batch was acknowledged
    broker_dropped: int | None = None  # the broker's count of dropped messages, last seen
    sessions_lost: int = 0  # reconnects that found the broker without this consumer's session


def shared(topic: str, group: str) -> str:
    return f"$share/{group}/{topic}" if group else topic


def broker(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 1883


class Client(mqtt.Client):
    """paho's client, reading as a consumer of a stream needs (a third of a consumer's time was
    paho's own work per message):

    - a shorter way in for the readings (QoS 1 PUBLISH packets, MQTT 3.1.1, manual acks): the
      decoded packet goes to `deliver` as it is. paho's way builds a message object with a
      `threading.Condition` for a publisher's wait (a tenth of a consumer's time), logs, and
      matches the topic against the callbacks; none of it serves a subscriber that takes every
      message of its subscriptions. Other packets (QoS 0, the broker's $SYS count) go paho's way.
    - up to READ_AHEAD packets each time the network thread wakes, while the socket has more:
      paho 2 reads one packet a wake-up (its `loop_read` recomputes the `max_packets` it is
      given), a `select` and its housekeeping per message.
    - a batch's acknowledgements written at once (`ack_all`): paho queues each as a packet of
      its own, a wake-up of its network thread (a socketpair write) and a `send` each.

    `_handle_publish`, `_packet_read`, `_loop_rc_handle`, `_packet_queue` and
    `_packet.decode_publish` are paho's own, not its public API: the version is pinned in uv.lock,
    and the MQTT tests (a real broker, a restart, acks after commit) go through this path."""

    READ_AHEAD = 100
    deliver: Any = None

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        for _ in range(max(max_packets, self.READ_AHEAD)):
            if self._sock is None:
                return mqtt.MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == mqtt.MQTTErrorCode.MQTT_ERR_AGAIN:
                break
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack_all(self, mids: list[int]) -> None:
        """Acknowledge QoS 1 messages by their packet ids: their PUBACKs, back to back, go to the
        broker as one write (a broker reads them as the packets they are)."""
        if mids:
            self._packet_queue(mqtt.PUBACK, b"".join(PUBACK.pack(mqtt.PUBACK, 2, mid) for mid in mids), 0, 1)

    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        header, body = self._in_packet["command"], self._in_packet["packet"]
        lean = self.deliver is not None and self._manual_ack and self._protocol != mqtt.MQTTv5
        if not lean or (header & 0x06) >> 1 != 1:
            return super()._handle_publish()
        self.deliver(_packet.decode_publish(header, body, self._protocol))
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS


class Consumer:
    def __init__(
        self,
        *,
        url: str | None = None,
        topics: list[str] | None = None,
        client_id: str | None = None,
        batch_size: int = 500,
        flush_seconds: float = 0.2,
        share: str | None = None,
    ) -> None:
        self.host, self.port = broker(url or settings.CIVICGRID_MQTT_URL)
        self.topics = topics or list(settings.CIVICGRID_MQTT_TOPICS)
        # A member of a shared subscription: the broker hands each message to one of the group.
        group = settings.CIVICGRID_MQTT_SHARE if share is None else share
        self.subscriptions = [shared(topic, group) for topic in self.topics]
        self.batch_size, self.flush_seconds = batch_size, flush_seconds
        # paho's thread appends, the batches take from the left: a deque and an event raised only
        # when the consumer waits, not a Queue's two locks per message.
        self.inbox: deque[Any] = deque()
        self.arrived = threading.Event()
        # Messages are numbered in arrival order (paho's thread counts them in, the batches count
        # them out); those numbered below `stale_below` came on a connection that has dropped.
        self.received = self.taken = self.stale_below = 0
        self.totals = Totals()
        self.connected = threading.Event()
        # The events its batches wrote (alarms, recoveries) are handed on at most every
        # KICK_SECONDS, not once per batch: a Celery message per batch was a tenth of its time.
        self.kick_due, self.kicked_at, self.prepared = False, float("-inf"), False
        self.client = Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or settings.CIVICGRID_MQTT_CLIENT_ID,
            clean_session=False,
            manual_ack=True,
        )
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.deliver = self._take

    def _on_connect(self, client: Any, _userdata: Any, flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT connection refused: %s", reason)
            return
        self.totals.broker_dropped = None  # a restarted broker counts from zero again
        if self.totals.connects and not flags.session_present:
            self.totals.sessions_lost += 1
            log.error(
                "the MQTT broker did not keep this consumer's session: readings published while it "
                "was away are missing (turn on the broker's persistence, docs/sensors.md)"
            )
        client.subscribe([(topic, 1) for topic in self.subscriptions] + [(DROPPED, 0)])
        self.totals.connects += 1
        self.connected.set()
        log.info("MQTT connected to %s:%s, topics %s", self.host, self.port, self.topics)

    def _on_disconnect(self, _client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        self.connected.clear()
        self.stale_below = self.received
        log.warning("MQTT disconnected (%s); reconnecting", reason)

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        if message.topic == DROPPED:
            self._dropped(message.payload)
        else:
            self._take(message)

    def _take(self, message: Any) -> None:
        """A reading's message (paho's, or the packet as decoded: payload, mid and qos either way)."""
        self.received += 1
        self.inbox.append(message)
        if not self.arrived.is_set():
            self.arrived.set()

    def _dropped(self, payload: bytes) -> None:
        try:
            count = int(payload)
        except ValueError:
            return
        before, self.totals.broker_dropped = self.totals.broker_dropped, count
        if before is None and count > 0:
            log.error(
                "the MQTT broker has dropped %d messages since it started: readings may be missing "
                "(raise max_queued_messages, docs/sensors.md)",
                count,
            )
        elif before is not None and count > before:
            log.error(
                "the MQTT broker dropped %d more messages: readings may be missing "
                "(raise max_queued_messages, docs/sensors.md)",
                count - before,
            )

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()

    def prepare(self) -> None:
        """Hand on what an earlier run's last batches wrote (a consumer that died before its
        kick), which also opens the way to the events worker: the first kick of a process costs
        a quarter of a second (Celery's app finalised, its broker connection opened)."""
        if not self.prepared:
            self.prepared, self.kick_due = True, True
            self._kick(idle=True)

    def run(self, stop: threading.Event, *, idle_exit: float | None = None) -> Totals:
        """Consume until `stop` is set (or, with `idle_exit`, until that many seconds pass
        without a message: the tests and the benchmark)."""
        self.prepare()
        self.start()
        last = time.monotonic()
        try:
            while not stop.is_set():
                batch = self._gather()
                if batch:
                    self._handle(batch)
                    last = time.monotonic()
                self._kick(idle=not batch)
                if not batch and idle_exit is not None and time.monotonic() - last > idle_exit:
                    break
        finally:
            self.stop()
        return self.totals

    def _kick(self, *, idle: bool) -> None:
        """Run the event consumers (the alarms' cases, the notices) for what the batches since
        the last kick wrote: when it is KICK_SECONDS ago, or at once when no batch is coming."""
        if self.kick_due and (idle or time.monotonic() - self.kicked_at >= KICK_SECONDS):
            self.kick_due, self.kicked_at = False, time.monotonic()
            try:
                events.kick()
            except Exception:  # the Celery broker is away: the beat runs the consumers anyway
                log.exception("could not hand the sensor events on; the beat will")

    def _gather(self) -> list[Any]:
        batch: list[Any] = []
        deadline = time.monotonic() + self.flush_seconds
        while len(batch) < self.batch_size:
            try:
                batch.append(self.inbox.popleft())
                continue
            except IndexError:
                pass
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                break
            self.arrived.clear()
            if not self.inbox:  # what came before the clear is taken; what comes after sets it
                self.arrived.wait(timeout)
        return batch

    def _handle(self, batch: list[Any]) -> None:
        raws = [raw for message in batch for raw in messages(message.payload)]
        while True:
            try:
                with events.deferred() as held:
                    report = ingest(raws)
                self.kick_due = self.kick_due or held.wanted
                break
            except Exception:
                # The database is away (or a device went meanwhile): nothing was acknowledged, so
                # nothing is lost; a new connection and the register read again, and try again.
                # The connection stays open between batches: a new one per batch cost a fifth.
                self.totals.failures += 1
                log.exception("sensor batch of %d readings failed; retrying", len(raws))
                if not connection.in_atomic_block:  # a test's transaction is not ours to close
                    connection.close()
                directory.invalidate(bump=False)
                time.sleep(1)
        first, self.taken = self.taken, self.taken + len(batch)
        # QoS 0 messages (a sender's choice) have nothing to acknowledge; the subscription's QoS 1
        # caps the rest at 1.
        self.client.ack_all([m.mid for m in batch[max(0, self.stale_below - first) :] if m.qos == 1])
        self.totals.messages += len(batch)
        self.totals.batches += 1
        self.totals.report.add(report)
        self.totals.last_batch_at = time.perf_counter()
