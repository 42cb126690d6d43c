"""The sensors' pages and API: who opens which (the permission matrix), another street's alert
not found, a constant number of queries on the alert list, a cadre answering a care alert from
its page, a gateway posting a batch of readings over the API (only its streets' devices), and
the street office registering and retiring devices."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.core.models import Event
from civicgrid.sensors.actions.alerts import raise_alert
from civicgrid.sensors.choices import AlertStatus, Condition
from civicgrid.sensors.ingest import ingest
from civicgrid.sensors.models import Alert, Device, Reading
from civicgrid.testing.api import ApiClient
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.residents import build_registry
from civicgrid.testing.sensors import build_sensors, reading

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 3, 10, 10, 0, tzinfo=SHANGHAI)
STAFF = {
    Role.ADMIN: 200,
    Role.LEADER: 200,
    Role.DISPATCHER: 200,
    Role.CADRE: 200,
    Role.GRID_WORKER: 200,
    Role.HANDLER: 404,
    Role.RESIDENT: 404,
}


class SensorPagesBase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_sensors(cls.world.east, build_registry(cls.world.east))
        cls.west = build_sensors(cls.world.west, build_registry(cls.world.west), mark="-W")
        cls.users = cls.world.east.users
        cls.alert = raise_alert(cls.east.meter, Condition.NO_USE, at=NOW - timedelta(minutes=5), value=14.0)
        cls.west_alert = raise_alert(cls.west.smoke, Condition.OFFLINE, at=NOW - timedelta(minutes=5))

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)


class PageTests(SensorPagesBase):
    def test_who_opens_which_page(self) -> None:
        for url in (
            reverse("sensors:index"),
            reverse("sensors:devices"),
            reverse("sensors:alert", args=[self.alert.pk]),
            reverse("sensors:device", args=[self.east.meter.pk]),
        ):
            with self.subTest(url=url):
                assert_matrix(self.client, url, STAFF, self.users)
        self.client.force_login(self.users[Role.ADMIN])
        self.assertEqual(
            self.client.get(reverse("sensors:alert", args=[self.west_alert.pk])).status_code, 404
        )
        page = self.client.get(reverse("sensors:devices")).content.decode()
        self.assertIn(self.east.meter.vendor_id, page)
        self.assertNotIn(self.west.meter.vendor_id, page)

    def test_the_alert_list_costs_the_same_with_more_alerts(self) -> None:
        self.client.force_login(self.users[Role.ADMIN])
        with CaptureQueriesContext(connection) as few:
            self.client.get(reverse("sensors:index"))
        for device in (self.east.smoke, self.east.cabinet, self.east.cover):
            raise_alert(device, Condition.OFFLINE, at=NOW - timedelta(minutes=1))
        with CaptureQueriesContext(connection) as more:
            page = self.client.get(reverse("sensors:index")).content.decode()
        self.assertIn(self.east.cover.vendor_id, page)
        self.assertEqual(len(more), len(few))

    def test_a_cadre_answers_a_care_alert_from_its_page(self) -> None:
        cadre = self.users[Role.CADRE]
        self.client.force_login(cadre)
        page = self.client.get(reverse("sensors:alert", args=[self.alert.pk])).content.decode()
        self.assertIn("已联系，情况正常", page)
        self.assertIn("<strong>报警</strong>", page)  # the trail names the raise, not its code
        url = reverse("sensors:alert_act", args=[self.alert.pk, "answer"])
        response = self.client.post(url, {"note": "已电话联系，老人外出买菜", "version": self.alert.version})
        self.assertRedirects(response, self.alert.get_absolute_url())
        answered = Alert.objects.get(pk=self.alert.pk)
        self.assertEqual((answered.status, answered.answered_by), (AlertStatus.RESOLVED, cadre))
        self.assertIn("老人外出买菜", self.client.get(answered.get_absolute_url()).content.decode())
        # A leader reads the alert but has no step to take on it.
        self.client.force_login(self.users[Role.LEADER])
        self.assertNotIn("标记误报", self.client.get(answered.get_absolute_url()).content.decode())


class ApiTests(SensorPagesBase):
    def test_a_gateway_posts_its_streets_readings(self) -> None:
        admin = ApiClient(self.client, self.users[Role.ADMIN])
        smoke, far = self.east.smoke, self.west.smoke

        def raw(device, key):  # type: ignore[no-untyped-def]
            return {
                "type": device.type.code,
                "device": device.vendor_id,
                "at": NOW.isoformat(),
                "value": 97,
                "id": key,
            }

        response = admin.post(
            "/sensors/readings", {"readings": [raw(smoke, "a"), raw(smoke, "a"), raw(far, "b"), 42]}
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            response.json(), {"stored": 1, "rejected": {"duplicate": 1, "unknown_device": 1, "malformed": 1}}
        )
        self.assertFalse(Reading.objects.filter(device=far).exists())  # another street's device: unknown
        self.assertEqual(admin.post("/sensors/readings", {"readings": "x"}).status_code, 400)
        resident = ApiClient(self.client, self.users[Role.RESIDENT])
        self.assertEqual(resident.post("/sensors/readings", {"readings": [raw(smoke, "c")]}).status_code, 403)
        listed = admin.get("/sensors/alerts", status="open").json()
        self.assertEqual([a["device"] for a in listed["results"]], [self.east.meter.vendor_id])
        devices = admin.get("/sensors/devices", type="smoke_detector").json()
        self.assertEqual([d["vendor_id"] for d in devices["results"]], [smoke.vendor_id])


class DevicePagesTests(SensorPagesBase):
    """The street office registers and retires devices on pages (actions.devices)."""

    def registration(self, **values: object) -> dict[str, object]:
        meter = self.east.meter
        return {
            "type": meter.type_id,
            "vendor_id": "WM-0100",
            "street": self.world.east.street.pk,
            "person": meter.person_id,
            "installed_on": "2027-03-01",
            **values,
        }

    def test_only_the_street_office_registers_devices(self) -> None:
        only_admin = {role: 200 if role == Role.ADMIN else 404 for role in STAFF}
        assert_matrix(self.client, reverse("sensors:device_new"), only_admin, self.users)
        self.client.force_login(self.users[Role.ADMIN])
        self.assertIn(
            reverse("sensors:device_new"), self.client.get(reverse("sensors:devices")).content.decode()
        )
        self.client.force_login(self.users[Role.CADRE])
        self.assertNotIn("登记设备", self.client.get(reverse("sensors:devices")).content.decode())
        before = Device.objects.count()
        self.client.post(reverse("sensors:device_new"), self.registration())
        self.assertEqual(Device.objects.count(), before)

    def test_a_water_meter_registered_for_an_elderly_person_living_alone(self) -> None:
        self.client.force_login(self.users[Role.ADMIN])
        page = self.client.get(reverse("sensors:device_new")).content.decode()
        alone = self.east.meter.person
        self.assertIn(f"{alone.household} · {alone.name}", page)
        # Another street's people are not offered.
        people = re.search(r'<select name="person".*?</select>', page, re.S)
        assert people is not None
        self.assertIn(f'<option value="{alone.pk}">', people.group())
        self.assertNotIn(f'<option value="{self.west.meter.person_id}">', people.group())
        response = self.client.post(reverse("sensors:device_new"), self.registration())
        made = Device.objects.get(vendor_id="WM-0100")
        self.assertRedirects(response, made.get_absolute_url())
        # The person's household, flat and building, and the building's area (whom alerts reach).
        meter = self.east.meter
        self.assertEqual(
            (made.household_id, made.flat_id, made.building_id, made.area_id, made.registered_by),
            (meter.household_id, meter.flat_id, meter.building_id, meter.area_id, self.users[Role.ADMIN]),
        )
        self.assertTrue(Event.objects.filter(app="sensors", object_type="device", object_id=made.pk).exists())
        # The cadre of the area finds it in the register.
        self.client.force_login(self.users[Role.CADRE])
        self.assertIn("WM-0100", self.client.get(reverse("sensors:devices")).content.decode())

    def test_a_vendor_id_twice_or_a_person_elsewhere_is_refused_and_nothing_written(self) -> None:
        self.client.force_login(self.users[Role.ADMIN])
        before = Device.objects.count()
        twice = self.client.post(reverse("sensors:device_new"), self.registration(vendor_id="WM-0001"))
        self.assertEqual(twice.status_code, 200)
        self.assertIn("该类型下设备编号已登记", twice.content.decode())
        elsewhere = self.client.post(
            reverse("sensors:device_new"), self.registration(person=self.west.meter.person_id)
        )
        self.assertEqual(elsewhere.status_code, 200)
        self.assertIn("person", elsewhere.context["form"].errors)
        self.assertEqual(Device.objects.count(), before)

    def test_retiring_ends_live_alerts_refuses_its_readings_and_a_second_retirement(self) -> None:
        meter = self.east.meter
        url = reverse("sensors:device_retire", args=[meter.pk])
        self.client.force_login(self.users[Role.CADRE])
        self.assertEqual(self.client.post(url, {"reason": "拆除", "version": meter.version}).status_code, 404)
        self.client.force_login(self.users[Role.ADMIN])
        self.assertIn("停用设备", self.client.get(meter.get_absolute_url()).content.decode())
        response = self.client.post(url, {"reason": "老人已搬离", "version": meter.version})
        self.assertRedirects(response, meter.get_absolute_url())
        retired = Device.objects.get(pk=meter.pk)
        self.assertEqual((retired.active, retired.version), (False, meter.version + 1))
        self.assertEqual(Alert.objects.get(pk=self.alert.pk).status, AlertStatus.RESOLVED)
        event = Event.objects.get(app="sensors", object_type="device", object_id=meter.pk, action="retire")
        self.assertEqual(event.payload, {"reason": "老人已搬离"})
        # The same version again (a second tab): a conflict, nothing changed.
        again = self.client.post(url, {"reason": "重复", "version": meter.version}, follow=True)
        self.assertIn("设备已被他人更新", again.content.decode())
        self.assertEqual(Device.objects.get(pk=meter.pk).version, meter.version + 1)
        page = self.client.get(meter.get_absolute_url()).content.decode()
        self.assertIn("已停用", page)
        self.assertNotIn(url, page)
        report = ingest([reading(meter, NOW - timedelta(minutes=1), 3.0, key="after")], now=NOW)
        self.assertEqual((report.stored, dict(report.rejected)), (0, {"unknown_device": 1}))
