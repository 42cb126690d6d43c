"""The demo's sensors (demo/sensors.py), checked on test_demo_without_cases.py's load (the same options:
one load_demo for both): devices at the elderly living alone and in the streets, two days of
readings through the ingest, and the scene's alerts — one care alert open, one escalated with its
case and door visit, one offline device, one false alarm — per street; a second load adds nothing."""

import datetime as dt

from civicgrid.cases.choices import CaseStatus, Channel
from civicgrid.core import clock
from civicgrid.demo.builder import build_plan
from civicgrid.demo.sensors import HOURS, METERS, OFFLINE_HOURS, load_sensors
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.residents.choices import CareKind
from civicgrid.residents.models import CareTag
from civicgrid.sensors.choices import AlertStatus, Condition
from civicgrid.sensors.models import Alert, Device, Reading


class SensorsDemoChecks:
    """Mixed into test_demo_without_cases.DemoWithoutCasesTests (its class data: the load)."""

    @property
    def streets(self) -> list[Area]:
        return list(Area.objects.filter(kind=AreaKind.STREET, code__in=build_plan().street_names))

    def test_every_street_has_its_devices_watching_the_elderly_living_alone(self) -> None:
        for street in self.streets:
            devices = Device.objects.filter(street=street)
            by_type = {
                code: devices.filter(type__code=code).count()
                for code in devices.values_list("type__code", flat=True)
            }
            alone = CareTag.objects.filter(street=street, kind=CareKind.ALONE, ends_on__isnull=True).values(
                "person_id"
            )
            meters = devices.filter(type__code="water_meter")
            self.assertEqual(by_type["water_meter"], min(METERS, alone.distinct().count()), street)
            self.assertFalse(meters.exclude(person_id__in=alone).exists())  # every meter watches one of them
            self.assertFalse(meters.filter(flat__isnull=True).exists())
            self.assertEqual(meters.values("person_id").distinct().count(), meters.count())
            self.assertGreaterEqual(by_type["smoke_detector"], 6)
            self.assertEqual(
                (by_type["ebike_cabinet"], by_type["manhole_cover"], by_type["water_level"]), (3, 3, 2)
            )

    def test_two_days_of_readings_went_through_the_ingest(self) -> None:
        for street in self.streets:
            devices = Device.objects.filter(street=street)
            readings = Reading.objects.filter(device__street=street)
            self.assertEqual(readings.count(), HOURS * devices.count() - OFFLINE_HOURS)  # the silent one
            newest = readings.order_by("-at").first().at  # type: ignore[union-attr]
            self.assertLess(newest, clock.now())
            self.assertGreater(readings.order_by("at").first().at, newest - dt.timedelta(hours=HOURS + 1))  # type: ignore[union-attr]
            # The ingest moved the devices on: last seen, last value, the meters' last use.
            self.assertFalse(devices.filter(last_seen_at__isnull=True).exists())
            self.assertFalse(devices.filter(type__code="water_meter", last_use_at__isnull=True).exists())

    def test_the_scene_has_its_alerts(self) -> None:
        for street in self.streets:
            alerts = Alert.objects.filter(street=street)
            care = alerts.filter(condition=Condition.NO_USE)
            self.assertEqual(care.filter(status=AlertStatus.OPEN).count(), 1, street)
            escalated = care.get(status=AlertStatus.ESCALATED)
            self.assertEqual(escalated.case.channel, Channel.SENSOR)  # type: ignore[union-attr]
            self.assertEqual(escalated.visit.household_id, escalated.device.household_id)  # type: ignore[union-attr]
            self.assertIsNotNone(escalated.answered_by_id)  # the dispatcher escalated it
            offline = alerts.get(condition=Condition.OFFLINE)
            self.assertEqual((offline.status, offline.device.type.code), (AlertStatus.OPEN, "water_level"))
            false = alerts.get(status=AlertStatus.FALSE_ALARM)
            self.assertEqual((false.condition, false.event), (Condition.ALARM, "smoke"))
            # An alarm is a case at once; the false alarm came after, and the desk did not file it.
            self.assertEqual(false.case.status, CaseStatus.REJECTED)  # type: ignore[union-attr]
            self.assertEqual(alerts.count(), 4)  # the healthy devices raised nothing

    def test_a_second_sensors_load_adds_nothing(self) -> None:
        before = (Device.objects.count(), Reading.objects.count(), Alert.objects.count())
        self.assertEqual(load_sensors(build_plan()), 0)
        self.assertEqual((Device.objects.count(), Reading.objects.count(), Alert.objects.count()), before)
