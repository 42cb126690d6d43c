from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civicgrid.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from . import audit, workdays  # noqa: F401  (workdays connects holiday-cache signals)

        audit.connect_signals()
