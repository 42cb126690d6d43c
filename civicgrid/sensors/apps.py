from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensorsConfig(AppConfig):
    name = "civicgrid.sensors"
    label = "sensors"
    verbose_name = _("物联感知")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from civicgrid.core import events, notifications

        from .actions.alerts import ALARM_CASES  # (and the alert frame's bodies register themselves)
        from .choices import NotificationKind
        from .models import Device, DeviceType

        notifications.register_kinds(NotificationKind)
        events.register(ALARM_CASES)
        for model in (Device, DeviceType):
            for signal in (post_save, post_delete):
                signal.connect(
                    _register_changed, sender=model, dispatch_uid=f"sensors-register-{model.__name__}"
                )


def _register_changed(**_kwargs: object) -> None:
    from . import directory

    directory.changed()
