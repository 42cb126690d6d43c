from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civicgrid.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from . import audit

        audit.connect_signals()
