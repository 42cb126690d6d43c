from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    label = "cases"
    verbose_name = "工单"

    def ready(self) -> None:
        from civicgrid.core import events

        from . import notifications

        events.register(notifications.CONSUMER)
