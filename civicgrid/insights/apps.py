from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "civicgrid.insights"
    label = "insights"
    verbose_name = "统计分析"

    def ready(self) -> None:
        from civicgrid.core import events

        from .rollups import CONSUMER

        events.register(CONSUMER)
