from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElectionsConfig(AppConfig):
    name = "civicgrid.elections"
    label = "elections"
    verbose_name = _("换届选举")

    def ready(self) -> None:
        # The frames' bodies register themselves when their modules load: load them with the
        # app, so the pages and the API offer every action whatever was imported first.
        for module in ("elections", "voters", "ballots"):
            import_module(f"{__package__}.actions.{module}")
