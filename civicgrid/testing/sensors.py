"""Sensors for tests: in a street with a small registry (testing.residents), a water meter
watching the flat of the elderly woman living alone, a smoke detector in the same building,
an e-bike charging cabinet and a road's manhole cover (street-wide, no area)."""

import importlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.apps import apps

from civicgrid.sensors.models import Device, DeviceType

from .factories import StreetWorld
from .residents import Registry


@dataclass
class SensorSet:
    meter: Device
    smoke: Device
    cabinet: Device
    cover: Device


def ensure_device_types() -> None:
    """The five types the migration ships: a transactional test before this one may have flushed
    them (as the category tree: testing.factories.build_world)."""
    if not DeviceType.objects.exists():
        importlib.import_module("civicgrid.sensors.migrations.0002_device_types").add_types(apps, None)


def build_sensors(world: StreetWorld, registry: Registry, mark: str = "") -> SensorSet:
    ensure_device_types()
    building = world.buildings[0]
    household = registry.households[0]
    types = {t.code: t for t in DeviceType.objects.all()}

    def device(code: str, vendor_id: str, **where: object) -> Device:
        return Device.objects.create(
            type=types[code],
            vendor_id=f"{vendor_id}{mark}",
            street=world.street,
            installed_on=date(2024, 1, 1),
            **where,
        )

    return SensorSet(
        meter=device(
            "water_meter",
            "WM-0001",
            area=building.grid or building.residential_area,
            building=building,
            flat=household.flat,
            household=household,
            person=registry.persons["alone"],
        ),
        smoke=device(
            "smoke_detector", "SD-0001", area=building.grid or building.residential_area, building=building
        ),
        cabinet=device(
            "ebike_cabinet", "EC-0001", area=building.grid or building.residential_area, building=building
        ),
        cover=device("manhole_cover", "MC-0001", place="长阳路近营口路", lon=building.lon, lat=building.lat),
    )


def reading(
    device: Device, at: datetime, value: float | None = None, event: str = "", key: str | None = None
) -> dict[str, Any]:
    """One reading of `device` as a device sends it (sensors/ingest.py's format)."""
    raw: dict[str, Any] = {"type": device.type.code, "device": device.vendor_id, "at": at.isoformat()}
    if value is not None:
        raw["value"] = value
    if event:
        raw["event"] = event
    if key is not None:
        raw["id"] = key
    return raw
