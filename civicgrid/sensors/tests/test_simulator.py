"""The sensor simulator: its patterns (pure: a day of water use, anomalies that start and end,
stable ids, readings the ingest accepts) and a short run of `manage.py simulate_sensors`
published to the real Mosquitto and stored by the consumer."""

import random
import threading
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase

from civicgrid.sensors.ingest import Parsed, parse
from civicgrid.sensors.models import Device, Reading
from civicgrid.sensors.simulator import SimDevice, Simulator, water_use

from .test_mqtt import NOW, MqttBase, pytestmark, subscribed

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime(2027, 3, 10, tzinfo=SHANGHAI)
METER, SMOKE, CABINET = (
    SimDevice("water_meter", "WM-1"),
    SimDevice("smoke_detector", "SD-1"),
    SimDevice("ebike_cabinet", "EC-1"),
)
ALL = [
    METER,
    SMOKE,
    CABINET,
    SimDevice("manhole_cover", "MC-1"),
    SimDevice("water_level", "WL-1"),
]


def run(devices: list[SimDevice], hours: float, step_minutes: float, **options: object) -> list[dict]:
    per_round = len(devices)
    simulator = Simulator(devices=devices, start=DAY, interval=timedelta(minutes=step_minutes), **options)  # type: ignore[arg-type]
    return [simulator.reading(k) for k in range(int(hours * 60 / step_minutes) * per_round)]


class PatternTests(SimpleTestCase):
    def test_water_use_follows_the_day(self) -> None:
        rng = random.Random(1)
        hourly = [water_use(DAY + timedelta(hours=h + 1), 60, rng) for h in range(24)]
        morning, night = sum(hourly[6:9]), sum(hourly[0:5])
        self.assertGreater(morning, 10 * night)  # a peak at breakfast, next to nothing at night
        self.assertGreater(sum(hourly[17:21]), 25)  # and one in the evening
        self.assertTrue(80 < sum(hourly) < 150, sum(hourly))  # an elderly person's day, in litres
        # Litres per interval: a quarter of an hour uses about a quarter of the hour's water.
        # (7:30–7:45, around 7:37: 11.5 litres an hour between 7:00's 14 and 8:00's 10.)
        quarters = [water_use(DAY + timedelta(hours=7, minutes=45), 15, rng) for _ in range(400)]
        self.assertAlmostEqual(sum(quarters) / 400, 11.5 * 15 / 60, delta=0.25)

    def test_a_stream_is_seeded_and_every_reading_is_valid_and_has_its_own_id(self) -> None:
        rows = run(ALL, hours=24, step_minutes=15, seed=3, anomaly_rate=0.01)
        self.assertEqual(rows, run(ALL, hours=24, step_minutes=15, seed=3, anomaly_rate=0.01))
        self.assertNotEqual(rows, run(ALL, hours=24, step_minutes=15, seed=4, anomaly_rate=0.01))
        self.assertEqual(len({(r["device"], r["id"]) for r in rows}), len(rows))
        parsed = [parse(r, DAY + timedelta(days=1)) for r in rows]
        self.assertTrue(
            all(isinstance(p, Parsed) for p in parsed), [p for p in parsed if not isinstance(p, Parsed)]
        )
        self.assertEqual({r["type"] for r in rows}, {d.type for d in ALL})
        times = [r["at"] for r in rows if r["device"] == "WM-1"]
        self.assertEqual(times[:2], [DAY.isoformat(), (DAY + timedelta(minutes=15)).isoformat()])

    def test_anomalies_start_rarely_and_end(self) -> None:
        rows = run([METER], hours=48, step_minutes=30, seed=1, anomaly_rate=1.0)
        # Always in trouble when it may: 14 hours without use, then use again before the next one.
        values = [r["value"] for r in rows]
        self.assertEqual(values[:28], [0.0] * 28)
        self.assertGreater(sum(values[28:40]), 0)
        smoke = run([SMOKE], hours=2, step_minutes=10, seed=1, anomaly_rate=1.0)
        self.assertEqual([r.get("event", "") for r in smoke[:4]], ["smoke", "smoke", "smoke", "clear"])
        hot = run([CABINET], hours=2, step_minutes=20, seed=1, anomaly_rate=1.0)
        self.assertGreater(hot[0]["value"], 60)  # above the cabinet type's alarm limit
        calm = run(ALL, hours=24, step_minutes=15, seed=1, anomaly_rate=0.0)
        self.assertFalse([r for r in calm if r.get("event") in ("smoke", "open")])
        self.assertLess(max(r["value"] for r in calm if r["type"] == "ebike_cabinet"), 60)
        self.assertLess(max(r["value"] for r in calm if r["type"] == "manhole_cover"), 15)
        self.assertLess(max(r["value"] for r in calm if r["type"] == "water_level"), 20)


class SimulateCommandTests(MqttBase):
    pytestmark = pytestmark

    def test_a_short_run_reaches_the_consumer_and_is_stored(self) -> None:
        consumer = self.consumer()
        subscribed(consumer)
        out = StringIO()
        call_command(
            "simulate_sensors",
            "--devices=3",
            "--rate=200",
            "--minutes=0.01",  # 0.6 s: 120 readings
            "--speed=24",  # a simulated day a minute: 120 readings cover about 14 minutes
            "--batch=10",
            f"--street={self.world.east.street.code}",
            f"--topic-prefix={self.prefix}",
            "--seed=5",
            stdout=out,
        )
        self.assertIn("120", out.getvalue())
        with self.captureOnCommitCallbacks(execute=True):
            totals = consumer.run(threading.Event(), idle_exit=1.5)
        self.assertEqual((totals.messages, totals.report.stored, dict(totals.report.rejected)), (12, 120, {}))
        per_device = {d.vendor_id: Reading.objects.filter(device=d).count() for d in Device.objects.all()}
        self.assertEqual(sorted(per_device.values()), [0, 40, 40, 40])
        latest = Reading.objects.order_by("-at").first()
        assert latest is not None
        self.assertLess(abs((latest.at - NOW).total_seconds()), 120)  # the span ends now

    def test_bad_options_are_refused(self) -> None:
        with self.assertRaisesMessage(CommandError, "没有这个街道"):
            call_command("simulate_sensors", "--street=nowhere", stdout=StringIO())
        hours = settings.CIVICGRID_SENSORS_MAX_AGE_HOURS
        with self.assertRaisesMessage(CommandError, str(hours)):
            call_command("simulate_sensors", "--minutes=10", "--speed=60", stdout=StringIO())
