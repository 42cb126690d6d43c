"""The rules end to end without the broker (ingest → rules → alerts → case and visit): the
water meter of an elderly person living alone showing no use, a care alert to the cadre, a case
and a door visit when nobody answers, recovery; an alarm opening one case however often it
repeats; a false alarm's suppression; offline devices; quiet hours; bad readings counted."""

import unittest
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase, TransactionTestCase

from civicgrid.cases.choices import Channel
from civicgrid.cases.models import Case
from civicgrid.core.choices import Role
from civicgrid.core.errors import Forbidden, NotFound
from civicgrid.core.models import Notification
from civicgrid.core.versions import SharedVersion
from civicgrid.residents.models import Visit
from civicgrid.sensors import directory
from civicgrid.sensors.actions.alerts import answer, false_alarm, raise_alert
from civicgrid.sensors.actions.devices import register_device, retire_device
from civicgrid.sensors.choices import LIVE, AlertStatus, Condition
from civicgrid.sensors.ingest import ingest
from civicgrid.sensors.models import Alert, Device, Reading
from civicgrid.sensors.rules import sweep
from civicgrid.testing.concurrency import run_together
from civicgrid.testing.factories import build_world
from civicgrid.testing.residents import build_registry
from civicgrid.testing.sensors import build_sensors, reading

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 3, 10, 10, 0, tzinfo=SHANGHAI)  # a Wednesday morning


class RulesBase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.registry = build_registry(cls.world.east)
        cls.sensors = build_sensors(cls.world.east, cls.registry)
        cls.cadre = cls.world.east.users[Role.CADRE]

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def hours_of_water(self, start, hours, litres):
        meter = self.sensors.meter
        return [reading(meter, start + timedelta(hours=h), litres(h)) for h in range(hours)]


class CareRuleTests(RulesBase):
    def test_no_use_becomes_a_care_alert_then_a_case_and_a_visit_then_recovers(self) -> None:
        meter = self.sensors.meter
        # Water used until 14 hours ago, nothing since (readings every hour, zero).
        rows = self.hours_of_water(NOW - timedelta(hours=20), 20, lambda h: 6.0 if h < 6 else 0.0)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(ingest(rows, now=NOW).stored, 20)
        meter.refresh_from_db()
        self.assertEqual(meter.last_use_at, NOW - timedelta(hours=15))
        with self.captureOnCommitCallbacks(execute=True):
            report = sweep(NOW)
        self.assertEqual(report.raised[Condition.NO_USE], 1)
        alert = Alert.objects.get(device=meter, condition=Condition.NO_USE)
        self.assertEqual((alert.status, alert.case), (AlertStatus.OPEN, None))
        # The committee's cadre is told at once.
        self.assertTrue(Notification.objects.filter(user=self.cadre, object_id=alert.pk).exists())
        # Nobody answers: after the street's 30 minutes, a case (物联感知) and a door visit.
        with self.captureOnCommitCallbacks(execute=True):
            sweep(NOW + timedelta(minutes=10))
        self.assertEqual(Alert.objects.get(pk=alert.pk).status, AlertStatus.OPEN)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(sweep(NOW + timedelta(minutes=31)).escalated, 1)
        alert.refresh_from_db()
        self.assertEqual(alert.status, AlertStatus.ESCALATED)
        case = Case.objects.get(pk=alert.case_id)
        self.assertEqual(
            (case.channel, case.category.code, case.street_id), (Channel.SENSOR, "E2110", meter.street_id)
        )
        visit = Visit.objects.get(pk=alert.visit_id)
        self.assertEqual((visit.household_id, visit.planned_for), (meter.household_id, NOW.date()))
        # Sweeping again opens nothing more (one live alert per device and condition).
        with self.captureOnCommitCallbacks(execute=True):
            sweep(NOW + timedelta(minutes=40))
        self.assertEqual(Alert.objects.filter(device=meter).count(), 1)
        self.assertEqual(Case.objects.filter(channel=Channel.SENSOR).count(), 1)
        # The kettle is on again: the alert ends by itself.
        with self.captureOnCommitCallbacks(execute=True):
            ingest([reading(meter, NOW + timedelta(minutes=45), 2.5)], now=NOW + timedelta(minutes=45))
        alert.refresh_from_db()
        self.assertEqual(alert.status, AlertStatus.RESOLVED)

    def test_an_answer_ends_the_alert_before_any_case(self) -> None:
        meter = self.sensors.meter
        rows = self.hours_of_water(NOW - timedelta(hours=20), 20, lambda h: 4.0 if h < 2 else 0.0)
        ingest(rows, now=NOW)
        sweep(NOW)
        alert = Alert.objects.get(device=meter)
        with self.assertRaises(NotFound):  # residents do not see the street's alerts
            answer(alert.pk, self.world.east.users[Role.RESIDENT], note="x")
        with self.assertRaises(Forbidden):  # a leader reads them, the committee answers
            answer(alert.pk, self.world.east.users[Role.LEADER], note="x")
        answer(alert.pk, self.cadre, note="电话联系上，老人在女儿家")
        alert.refresh_from_db()
        self.assertEqual((alert.status, alert.answered_by), (AlertStatus.RESOLVED, self.cadre))
        # Still no use, but answered: the street's 12 hours count again from the answer.
        sweep(NOW + timedelta(hours=1))
        self.assertEqual(Alert.objects.filter(device=meter).count(), 1)
        self.assertEqual(Case.objects.filter(channel=Channel.SENSOR).count(), 0)
        later = NOW + timedelta(hours=12, minutes=30)  # 22:30, before the quiet hours
        ingest([reading(meter, later - timedelta(minutes=5), 0.0)], now=later)  # online, still no use
        self.assertEqual(sweep(later).raised[Condition.NO_USE], 1)

    def test_quiet_hours_hold_back_the_care_alert(self) -> None:
        night = NOW.replace(hour=2)
        rows = self.hours_of_water(night - timedelta(hours=20), 20, lambda h: 3.0 if h < 2 else 0.0)
        ingest(rows, now=night)
        self.assertEqual(dict(sweep(night).raised), {})
        self.assertFalse(Alert.objects.exists())


class AlarmRuleTests(RulesBase):
    def test_smoke_opens_one_emergency_case_however_often_it_repeats_and_clears(self) -> None:
        smoke = self.sensors.smoke
        with self.captureOnCommitCallbacks(execute=True):
            ingest([reading(smoke, NOW - timedelta(seconds=30), event="smoke", key="m1")], now=NOW)
            ingest([reading(smoke, NOW - timedelta(seconds=20), event="smoke", key="m2")], now=NOW)
            ingest(
                [reading(smoke, NOW - timedelta(seconds=20), event="smoke", key="m2")], now=NOW
            )  # redelivered
        alert = Alert.objects.get(device=smoke)
        self.assertEqual((alert.status, alert.repeats), (AlertStatus.ESCALATED, 1))
        case = Case.objects.get(channel=Channel.SENSOR)
        self.assertEqual((case.urgency, alert.case_id), ("emergency", case.pk))
        self.assertEqual(Reading.objects.filter(device=smoke).count(), 2)
        ingest([reading(smoke, NOW - timedelta(seconds=5), event="clear", key="m3")], now=NOW)
        alert.refresh_from_db()
        self.assertEqual(alert.status, AlertStatus.RESOLVED)
        with self.captureOnCommitCallbacks(execute=True):
            ingest([reading(smoke, NOW, event="smoke", key="m4")], now=NOW)
        self.assertEqual(Alert.objects.filter(device=smoke).count(), 2)  # a new fire, a new case
        self.assertEqual(Case.objects.filter(channel=Channel.SENSOR).count(), 2)

    def test_the_case_is_opened_after_the_readings_commit_from_the_alarms_event(self) -> None:
        smoke = self.sensors.smoke
        with self.captureOnCommitCallbacks(execute=False) as after_commit:
            ingest([reading(smoke, NOW - timedelta(seconds=30), event="smoke", key="m1")], now=NOW)
        alert = Alert.objects.get(device=smoke)
        self.assertEqual((alert.status, alert.case_id), (AlertStatus.OPEN, None))  # not inside the ingest
        self.assertEqual(len(after_commit), 1)  # the events kick
        with self.captureOnCommitCallbacks(execute=True):
            after_commit[0]()
        alert.refresh_from_db()
        self.assertEqual(alert.status, AlertStatus.ESCALATED)
        self.assertEqual(Case.objects.get(channel=Channel.SENSOR).pk, alert.case_id)

    def test_an_alarm_that_cleared_before_the_worker_came_opens_no_case(self) -> None:
        smoke = self.sensors.smoke
        with self.captureOnCommitCallbacks(execute=True):
            ingest(
                [
                    reading(smoke, NOW - timedelta(seconds=2), event="smoke", key="m1"),
                    reading(smoke, NOW - timedelta(seconds=1), event="clear", key="m2"),
                ],
                now=NOW,
            )
        alert = Alert.objects.get(device=smoke)
        self.assertEqual((alert.status, alert.case_id), (AlertStatus.RESOLVED, None))
        self.assertFalse(Case.objects.filter(channel=Channel.SENSOR).exists())

    def test_a_false_alarm_suppresses_the_same_alarm_for_the_streets_window(self) -> None:
        cabinet = self.sensors.cabinet
        ingest([reading(cabinet, NOW, 72.0)], now=NOW)
        alert = Alert.objects.get(device=cabinet)
        false_alarm(alert.pk, self.cadre, note="充电柜检修时测试")
        later = NOW + timedelta(minutes=60)
        ingest([reading(cabinet, later, 75.0)], now=later)
        self.assertEqual(Alert.objects.filter(device=cabinet).count(), 1)
        after = NOW + timedelta(minutes=121)
        ingest([reading(cabinet, after, 75.0)], now=after)
        self.assertEqual(Alert.objects.filter(device=cabinet).count(), 2)

    def test_raising_an_alarm_that_is_live_repeats_it(self) -> None:
        """A worker whose view of the live alerts is behind (another raised it since): the unique
        index refuses a second live alert and the live one counts the repeat, in the same
        transaction."""
        smoke = self.sensors.smoke
        first = raise_alert(smoke, Condition.ALARM, at=NOW, event="smoke")
        again = raise_alert(smoke, Condition.ALARM, at=NOW + timedelta(seconds=5), event="smoke")
        self.assertEqual(again, first)
        alert = Alert.objects.get(device=smoke, condition=Condition.ALARM)
        self.assertEqual((alert.repeats, alert.last_at), (1, NOW + timedelta(seconds=5)))


class OfflineRuleTests(RulesBase):
    def test_a_silent_device_raises_offline_and_a_reading_ends_it(self) -> None:
        cover = self.sensors.cover
        ingest([reading(cover, NOW - timedelta(hours=25), 1.0)], now=NOW)
        with self.captureOnCommitCallbacks(execute=True):
            sweep(NOW)
        alert = Alert.objects.get(device=cover, condition=Condition.OFFLINE)
        admin = self.world.east.users[Role.ADMIN]
        self.assertTrue(Notification.objects.filter(user=admin, object_id=alert.pk).exists())
        self.assertFalse(Notification.objects.filter(user=self.cadre, object_id=alert.pk).exists())
        ingest([reading(cover, NOW + timedelta(minutes=1), 1.0)], now=NOW + timedelta(minutes=1))
        alert.refresh_from_db()
        self.assertEqual(alert.status, AlertStatus.RESOLVED)


class IngestTests(RulesBase):
    def test_bad_readings_are_counted_by_reason_and_nothing_else_is_lost(self) -> None:
        smoke = self.sensors.smoke
        good = reading(smoke, NOW, 88.0, key="ok")
        report = ingest(
            [
                good,
                None,
                {"type": "smoke_detector"},
                {**good, "at": "yesterday"},
                {**good, "at": "2027-03-10T10:00:00"},  # no offset
                {**good, "value": "high", "id": "v"},
                {**good, "device": "SD-9999", "id": "u"},
                {**good, "at": (NOW + timedelta(hours=1)).isoformat(), "id": "s"},
                {**good, "at": (NOW - timedelta(days=10)).isoformat(), "id": "t"},
                good,
            ],
            now=NOW,
        )
        self.assertEqual(report.stored, 1)
        self.assertEqual(
            dict(report.rejected), {"malformed": 5, "unknown_device": 1, "skew": 2, "duplicate": 1}
        )
        self.assertEqual(ingest([good], now=NOW).as_dict(), {"stored": 0, "rejected": {"duplicate": 1}})
        smoke.refresh_from_db()
        self.assertEqual((smoke.last_seen_at, smoke.last_value), (NOW, 88.0))

    def test_readings_out_of_order_leave_the_later_one_as_the_last(self) -> None:
        smoke = self.sensors.smoke
        ingest([reading(smoke, NOW - timedelta(minutes=1), 30.0, key="late")], now=NOW)
        ingest([reading(smoke, NOW - timedelta(minutes=5), 20.0, key="early")], now=NOW)  # delivered late
        smoke.refresh_from_db()
        self.assertEqual((smoke.last_seen_at, smoke.last_value), (NOW - timedelta(minutes=1), 30.0))
        ingest([reading(smoke, NOW, event="test", key="event-only")], now=NOW)
        smoke.refresh_from_db()
        self.assertEqual((smoke.last_seen_at, smoke.last_value), (NOW, 30.0))  # an event has no value


class RegisterInMemoryTests(RulesBase):
    """The ingest holds the register in memory (sensors.directory): what changes in it counts
    from the next batch on."""

    def test_a_device_registered_or_retired_counts_from_the_next_batch(self) -> None:
        admin = self.world.east.users[Role.ADMIN]
        raw = {"type": "smoke_detector", "device": "SD-NEW", "at": NOW.isoformat(), "value": 1.0, "id": "a"}
        self.assertEqual(ingest([raw], now=NOW).as_dict(), {"stored": 0, "rejected": {"unknown_device": 1}})
        device = register_device(
            admin, type=self.sensors.smoke.type, vendor_id="SD-NEW", street=self.world.east.street
        )
        self.assertEqual(ingest([raw], now=NOW).stored, 1)
        retire_device(admin, device, reason="拆除", version=device.version)
        refused = ingest([{**raw, "id": "b"}], now=NOW)
        self.assertEqual(refused.as_dict(), {"stored": 0, "rejected": {"unknown_device": 1}})

    def test_a_device_inserted_without_signals_is_looked_up_when_it_first_reports(self) -> None:
        smoke = self.sensors.smoke
        ingest([reading(smoke, NOW, 1.0, key="first")], now=NOW)  # the register is read
        [bulk] = Device.objects.bulk_create(
            [Device(type=smoke.type, vendor_id="SD-BULK", street=smoke.street)]
        )
        raw = {"type": "smoke_detector", "device": "SD-BULK", "at": NOW.isoformat(), "value": 2.0}
        self.assertEqual(ingest([raw], now=NOW).stored, 1)
        self.assertEqual(Reading.objects.get(device=bulk).value, 2.0)

    def test_unknown_devices_remembered_are_bounded(self) -> None:
        raws = [
            {"type": "smoke_detector", "device": f"SD-X{i}", "at": NOW.isoformat(), "value": 1.0}
            for i in range(30)
        ]
        with mock.patch.object(directory, "MAX_MISSING", 10):
            for start in range(0, 30, 10):
                report = ingest(raws[start : start + 10], now=NOW)
                self.assertEqual(report.as_dict(), {"stored": 0, "rejected": {"unknown_device": 10}})
            self.assertLessEqual(len(directory._missing), 20)

    def test_another_process_changing_the_register_is_seen(self) -> None:
        """Another process's write bumps the shared version; this one reads the register again."""
        smoke = self.sensors.smoke
        ingest([reading(smoke, NOW, 1.0, key="first")], now=NOW)
        Device.objects.filter(pk=smoke.pk).update(active=False)  # no signal: as if elsewhere
        self.assertEqual(ingest([reading(smoke, NOW, 1.0, key="second")], now=NOW).stored, 1)  # held
        SharedVersion(directory.VERSION_KEY).bump()
        with mock.patch.object(directory, "VERSION_CHECK_SECONDS", 0):
            refused = ingest([reading(smoke, NOW, 1.0, key="third")], now=NOW)
        self.assertEqual(refused.as_dict(), {"stored": 0, "rejected": {"unknown_device": 1}})


@unittest.skipUnless(connection.vendor == "postgresql", "row locks and concurrent writers: PostgreSQL")
@time_machine.travel(NOW, tick=False)
class ConcurrentConsumersTests(TransactionTestCase):
    """Two consumers of one shared subscription take readings of the same devices at once, in
    any order: their batches touch the same live alerts and devices and must not deadlock (a
    deadlock costs a failed batch, its retry a second later, and an error in the log)."""

    def test_batches_repeating_and_ending_the_same_alarms_in_opposite_orders_all_commit(self) -> None:
        world = build_world()
        sensors = build_sensors(world.east, build_registry(world.east))
        kind, street = sensors.cabinet.type, world.east.street
        cabinets = [sensors.cabinet] + [
            Device.objects.create(type=kind, vendor_id=f"EC-R{i:02d}", street=street) for i in range(15)
        ]
        ingest([reading(c, NOW - timedelta(minutes=10), 80.0, key="hot") for c in cabinets], now=NOW)
        self.assertEqual(Alert.objects.filter(status__in=LIVE).count(), len(cabinets))
        rounds = 6

        def batches(order: int):
            for r in range(rounds):
                at = NOW - timedelta(minutes=9) + timedelta(seconds=r)
                # Half the alarms repeat, the other half cool down below the limit and end.
                rows = [
                    reading(c, at, 80.0 if (i + r) % 2 else 20.0, key=f"{order}-{r}")
                    for i, c in enumerate(cabinets)
                ]
                yield rows[::order]

        orders = iter((1, -1))  # the first thread forwards, the second backwards

        def consumer() -> None:
            for rows in batches(next(orders)):
                ingest(rows, now=NOW)

        errors = run_together(consumer, 2)
        self.assertEqual(errors, [])
        self.assertEqual(Reading.objects.count(), len(cabinets) * (1 + 2 * rounds))
