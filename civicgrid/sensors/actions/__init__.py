"""The sensors app's writes: the device register (devices.py) and the alerts' steps (alerts.py)."""

from . import alerts, devices

__all__ = ["alerts", "devices"]
