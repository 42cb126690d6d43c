from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "civicgrid.geo"
    label = "geo"
    verbose_name = "地理与网格"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (index invalidation on change)
