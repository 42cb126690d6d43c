from .alerts import Alert
from .devices import Device, DeviceType, Reading

__all__ = ["Alert", "Device", "DeviceType", "Reading"]
