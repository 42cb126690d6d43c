"""The register as the ingest reads it: active devices by (type code, vendor id), each with its
type and its rules, held in memory by the process that ingests. The MQTT consumer reads the same
devices in every batch; a query per batch for them was a fifth of its time.

It holds what the rules need of a device (id, type, street, area, vendor id), none of its live
state (last seen, last value: the database combines those, rules.py). It is read again
- after a write of a device or a device type (`changed()`, from the models' signals): at once in
  this process, within a second in the others (a version number in the shared cache, as for the
  street profiles — core.versions);
- for a device it does not know (registered since, or by a bulk insert that sends no signal):
  looked up, then held; one it does not find is not looked up again until the register changes;
- by `invalidate()`, which the consumer calls when a batch fails (a device deleted meanwhile)."""

import threading
from collections.abc import Iterable

from django.db import transaction

from civicgrid.core.versions import SharedVersion

from .models import Device, DeviceType

VERSION_KEY = "civicgrid:sensors-register-version"
VERSION_CHECK_SECONDS = 1.0
FIELDS = ("id", "type_id", "vendor_id", "street_id", "area_id")
# Unknown keys remembered at most: a sender inventing vendor ids must not grow the process.
MAX_MISSING = 10_000

Key = tuple[str, str]

_lock = threading.Lock()
_version = SharedVersion(VERSION_KEY)
_devices: dict[Key, Device] = {}
_missing: set[Key] = set()
_types: dict[str, DeviceType] = {}


def lookup(wanted: Iterable[Key]) -> dict[Key, Device]:
    """The active registered devices among `wanted`."""
    wanted = set(wanted)
    with _lock:
        if _version.stale(VERSION_CHECK_SECONDS):
            _clear()
        unseen = wanted - _devices.keys() - _missing
        if unseen:
            _load(unseen)
        return {key: _devices[key] for key in wanted if key in _devices}


def changed() -> None:
    """A device or a device type was written: this process reads the register again at once,
    the others after the commit."""
    invalidate(bump=False)
    transaction.on_commit(invalidate)


def invalidate(bump: bool = True) -> None:
    with _lock:
        _clear()
    if bump:
        _version.bump()


def _clear() -> None:
    _devices.clear()
    _missing.clear()
    _types.clear()


def _load(keys: set[Key]) -> None:
    if not _types:
        _types.update((t.code, t) for t in DeviceType.objects.all())
    by_id = {t.pk: t for t in _types.values()}
    found = Device.objects.filter(
        type_id__in={_types[code].pk for code, _v in keys if code in _types},
        vendor_id__in={vendor for _c, vendor in keys},
        active=True,
    ).only(*FIELDS)
    for device in found:
        device.type = by_id[device.type_id]
        key = (device.type.code, device.vendor_id)
        if key in keys:
            _devices[key] = device
    if len(_missing) > MAX_MISSING:
        _missing.clear()
    _missing.update(keys - _devices.keys())
