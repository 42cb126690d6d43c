"""The device register's writes: a device is registered in a street the actor keeps, watching a
household (and its person) of that street, or a building or a place; retired when it leaves
service."""

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.core import capabilities, clock, events
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput
from civicgrid.core.inputs import clean_text, visible
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area, Building
from civicgrid.residents.models import Household, Person

from ..choices import LIVE
from ..models import Alert, Device, DeviceType
from .alerts import recover

REGISTER = "register"
RETIRE = "retire"


def register_device(
    actor: Any,
    *,
    type: Any,
    vendor_id: str,
    street: Any,
    area: Any = None,
    building: Any = None,
    household: Any = None,
    person: Any = None,
    place: str = "",
    lon: float | None = None,
    lat: float | None = None,
    installed_on: date | None = None,
) -> Device:
    if not capabilities.may(actor, "sensors.devices"):
        raise Forbidden(_("你的角色不能登记物联设备"))
    kind = visible(actor, DeviceType, type, "type", required=False)
    if kind is None or not kind.active:
        raise InvalidInput(_("请选择设备类型"), {"type": "required"})
    home = visible(actor, Area, street, "street", required=False)
    if home is None or home.kind != AreaKind.STREET:
        raise InvalidInput(_("请选择街道"), {"street": "invalid"})
    values: dict[str, Any] = {
        "area": visible(actor, Area, area, "area", required=False),
        "building": visible(actor, Building, building, "building", required=False),
        "household": visible(actor, Household, household, "household", required=False),
        "person": visible(actor, Person, person, "person", required=False),
    }
    if values["person"] is not None and values["household"] is None:
        values["household"] = values["person"].household  # the meter of a person's flat
    for name, obj in values.items():
        if obj is not None and getattr(obj, "street_id", None) not in (home.pk, None) and obj != home:
            raise InvalidInput(_("须在所选街道内"), {name: "other_street"})
    if values["household"] is not None:
        values["flat"] = values["household"].flat
        values["building"] = values["building"] or values["flat"].building
    if values["area"] is None and values["building"] is not None:
        # The building's grid (else committee area): whom its alerts reach (querysets: area path).
        values["area"] = values["building"].grid or values["building"].residential_area
    if (lon is None) != (lat is None):
        raise InvalidInput(_("经度和纬度须同时提供"), {"lon": "required"})
    try:
        with transaction.atomic():
            device = Device.objects.create(
                type=kind,
                vendor_id=clean_text(vendor_id, "vendor_id", _("设备编号"), 64),
                street=home,
                place=clean_text(place, "place", _("位置说明"), 120, required=False),
                lon=lon,
                lat=lat,
                installed_on=installed_on,
                registered_by=actor,
                **values,
            )
            events.log(device, REGISTER, actor, payload={"vendor_id": device.vendor_id, "type": kind.code})
    except IntegrityError:
        raise Conflict(_("该类型下设备编号已登记")) from None
    return device


def retire_device(actor: Any, device: Any, *, reason: str, version: Any) -> Device:
    """Take a device out of service (removed, broken, the person moved away): its readings are
    refused from now on and its live alerts end; a case an alarm opened goes on in the loop.
    Version-checked: of two retirements of the same version, the second is a conflict."""
    if not capabilities.may(actor, "sensors.devices"):
        raise Forbidden(_("你的角色不能登记物联设备"))
    found = visible(actor, Device, device, "device")
    why = clean_text(reason, "reason", _("停用原因"), 200)
    with transaction.atomic():
        row = Device.objects.select_for_update().get(pk=found.pk)
        if str(version) != str(row.version) or not row.active:
            raise Conflict(_("设备已被他人更新，请刷新后重试"))
        row.active, row.version = False, row.version + 1
        row.save(update_fields=["active", "version", "updated_at"])
        events.log(row, RETIRE, actor, payload={"reason": why})
        for alert in Alert.objects.filter(device=row, status__in=LIVE):
            recover(alert.pk, at=clock.now())
    return row
