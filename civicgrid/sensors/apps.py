from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensorsConfig(AppConfig):
    name = "civicgrid.sensors"
    label = "sensors"
    verbose_name = _("物联感知")

    def ready(self) -> None:
        from civicgrid.core import notifications

        from . import actions  # noqa: F401  (the alert frame's bodies register themselves)
        from .choices import NotificationKind

        notifications.register_kinds(NotificationKind)
