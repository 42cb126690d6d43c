"""The demo's sensors (issue 19): per street, smart water meters in the flats of elderly people
living alone (独居老人, up to METERS), smoke detectors in some of those flats and in buildings,
a few e-bike charging cabinets, manhole covers and water-level sensors — registered through
`sensors.actions` by the street's admin — and two days of hourly readings from the simulator's
patterns, stored through `sensors.ingest` at their hours so that the rules see them as they come.
Then the rules' sweep, and what people did: one care alert open, one a cadre escalated into a
case and a door visit, one offline device, one smoke alarm marked a false alarm.

Relative to the load day; the scene is set at the last moment before loading outside the
street's quiet hours (the care and offline rules hold back then). A street with devices is skipped."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from civicgrid.accounts.models import User
from civicgrid.cases.actions import run_action
from civicgrid.cases.choices import CaseAction
from civicgrid.core import clock, events
from civicgrid.core.choices import Role
from civicgrid.demo.builder import DemoPlan
from civicgrid.geo.models import Area, Building
from civicgrid.residents.choices import CareKind
from civicgrid.residents.models import CareTag, Person
from civicgrid.sensors.actions.alerts import ALARM_CASES, escalate, false_alarm
from civicgrid.sensors.actions.devices import register_device
from civicgrid.sensors.choices import LIVE, Condition
from civicgrid.sensors.ingest import ingest
from civicgrid.sensors.models import Alert, Device, DeviceType
from civicgrid.sensors.rules import quiet, sweep
from civicgrid.sensors.simulator import SimDevice, Simulator

METERS = 60  # water meters per street at most
HOURS = 48  # the readings' history
NO_USE_OPEN, NO_USE_ESCALATED = 14, 16  # hours without use of the two care alerts' meters
OFFLINE_HOURS = 3  # the water-level sensor that fell silent
PREFIX = {
    "water_meter": "WM",
    "smoke_detector": "SD",
    "ebike_cabinet": "EC",
    "manhole_cover": "MC",
    "water_level": "WL",
}


@dataclass
class Scene:
    devices: list[Device]
    open_meter: Device
    escalated_meter: Device
    silent: Device
    false_smoke: Device


def load_sensors(plan: DemoPlan) -> int:
    """Play every street without devices; returns how many rows (devices, readings, alerts) it made."""
    made = 0
    for code in plan.street_names:
        street = Area.objects.get(code=code)
        if Device.objects.filter(street=street).exists():
            continue
        users: dict[str, User] = {}
        for person in plan.users:
            if person.street_code == code and person.role not in users:
                users[person.role] = User.objects.get(username=person.username)
        made += _street(street, users)
    return made


def scene_time(street: Area, now: datetime) -> datetime:
    """Ten minutes before `now`, or the last such moment outside the street's quiet hours."""
    moment = now - timedelta(minutes=10)
    while quiet(street.pk, moment):
        moment -= timedelta(hours=1)
    return moment


def _street(street: Area, users: dict[str, User]) -> int:
    at = scene_time(street, clock.now())
    start = at - timedelta(hours=HOURS)
    with clock.at(start - timedelta(hours=1)):
        scene = _register(street, users[Role.ADMIN], start.date() - timedelta(days=400))
    dispatcher = users[Role.DISPATCHER]
    readings = _history(scene, start, dispatcher)
    with clock.at(at):
        sweep(at)
    with clock.at(at + timedelta(minutes=5)):
        alert = Alert.objects.get(device=scene.escalated_meter, condition=Condition.NO_USE)
        escalate(alert.pk, dispatcher, note="电话无人接听，请社区上门查看")
    return len(scene.devices) + readings + Alert.objects.filter(street=street).count()


def _register(street: Area, admin: User, installed: Any) -> Scene:
    types = {t.code: t for t in DeviceType.objects.all()}
    today = clock.today()
    alone = (
        Person.objects.filter(
            street=street,
            household__isnull=False,
            pk__in=CareTag.objects.filter(kind=CareKind.ALONE, starts_on__lte=today)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
            .values("person_id"),
        )
        .select_related("household__flat__building")
        .order_by("pk")[:METERS]
    )
    number = street.code[-3:]
    devices: list[Device] = []

    def add(code: str, i: int, **where: Any) -> Device:
        device = register_device(
            admin,
            type=types[code],
            vendor_id=f"{PREFIX[code]}-{number}-{i:03d}",
            street=street,
            installed_on=installed,
            **where,
        )
        devices.append(device)
        return device

    meters = []
    for i, person in enumerate(alone):
        household = person.household
        area = household.flat.building.residential_area_id  # type: ignore[union-attr]
        meters.append(add("water_meter", i, household=household, person=person, area=area))
        if i % 3 == 0:  # a smoke detector in every third of those flats
            add("smoke_detector", i, household=household, area=area)
    buildings = list(Building.objects.filter(street=street).order_by("normalized_address")[:12])
    smokes = [
        add("smoke_detector", 500 + i, building=b, area=b.residential_area_id)
        for i, b in enumerate(buildings[:6])
    ]
    for i, b in enumerate(buildings[6:9]):
        add("ebike_cabinet", i, building=b, area=b.residential_area_id, place=f"{b.address}非机动车棚")
    for i, b in enumerate(buildings[9:12]):
        add("manhole_cover", i, place=f"{b.address}门前道路", lon=b.lon + 0.0003, lat=b.lat)
    levels = [
        add(
            "water_level",
            i,
            place=f"{b.address}下立交" if i == 0 else f"{b.address}低洼处",
            lon=b.lon,
            lat=b.lat,
        )
        for i, b in enumerate(buildings[:2])
    ]
    if len(meters) < 2 or not smokes:
        raise RuntimeError(f"demo sensors: street {street.code} has too few elderly people living alone")
    return Scene(devices, meters[0], meters[1], levels[-1], smokes[0])


def _history(scene: Scene, start: datetime, dispatcher: User) -> int:
    """Hourly readings of every device through the ingest, hour by hour; the scene's devices
    misbehave: two meters stop showing use, a water-level sensor falls silent, a detector
    reports smoke (burnt food: marked a false alarm an hour later, its case not filed)."""
    n = len(scene.devices)
    simulator = Simulator(
        devices=[SimDevice(d.type.code, d.vendor_id) for d in scene.devices],
        start=start,
        interval=timedelta(hours=1),
        seed=int(scene.devices[0].street_id),
        anomaly_rate=0.0,
    )
    end = start + timedelta(hours=HOURS)
    idle = {
        scene.open_meter.vendor_id: end - timedelta(hours=NO_USE_OPEN),
        scene.escalated_meter.vendor_id: end - timedelta(hours=NO_USE_ESCALATED),
    }
    smoke_at = start + timedelta(hours=HOURS - 20)
    stored = 0
    for hour in range(HOURS):
        rows = []
        for k in range(hour * n, (hour + 1) * n):
            raw = simulator.reading(k)
            at = datetime.fromisoformat(raw["at"])
            if raw["device"] in idle and at >= idle[raw["device"]]:
                raw["value"] = 0.0
            if raw["device"] == scene.silent.vendor_id and at >= end - timedelta(hours=OFFLINE_HOURS):
                continue
            if raw["device"] == scene.false_smoke.vendor_id and smoke_at <= at < smoke_at + timedelta(
                hours=1
            ):
                raw.pop("value", None)
                raw["event"] = "smoke"
            rows.append(raw)
        moment = start + timedelta(hours=hour + 1)
        with clock.at(moment):
            stored += ingest(rows, now=moment).stored
            events.run(ALARM_CASES)  # the events worker, right after the commit
        if start + timedelta(hours=hour) <= smoke_at < moment:
            alert = Alert.objects.get(device=scene.false_smoke, condition=Condition.ALARM, status__in=LIVE)
            with clock.at(moment + timedelta(minutes=20)):
                false_alarm(alert.pk, dispatcher, note="居民烧菜油烟触发，已电话确认无火情")
            if alert.case_id is not None:  # the case the alarm opened: not filed (不予立案)
                with clock.at(moment + timedelta(minutes=25)):
                    run_action(
                        alert.case_id,
                        CaseAction.REJECT,
                        dispatcher,
                        {"reason": "物联设备误报，已电话确认无火情"},
                    )
    return stored
