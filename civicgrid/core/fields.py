"""Model fields shared by every app."""

from typing import Any

from django.db import models

from . import clock


class ClockDateTimeField(models.DateTimeField):
    """`auto_now` / `auto_now_add` stamped from `core.clock`, so rows written inside
    `clock.at()` (the demo's replayed year, a test's scenario) carry that moment."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.auto_now or (self.auto_now_add and add):
            value = clock.now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)
