from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The parts of the app: each has its action bodies (actions/<part>.py), pages (views/<part>.py),
# API router (api/<part>.py) and, for the first three, a dashboard panel (dashboard/<part>.py).
PARTS = ("projects", "welfare", "proposals", "evaluations")
PANELS = ("projects", "welfare", "proposals")


class ProgrammesConfig(AppConfig):
    name = "civicgrid.programmes"
    label = "programmes"
    verbose_name = _("实事项目与民主参与")

    def ready(self) -> None:
        from civicgrid.core import attachments, notifications

        from .choices import ClaimPhoto, NotificationKind, ProjectPhoto
        from .models import Claim, Project

        attachments.accept(Project, stages=ProjectPhoto)
        attachments.accept(Claim, stages=ClaimPhoto)
        notifications.register_kinds(NotificationKind)
        # The frames' bodies register themselves when their modules load: load them with the
        # app, so the pages and the API offer every action whatever was imported first.
        for part in PARTS:
            import_module(f"{__package__}.actions.{part}")
        for part in PANELS:
            import_module(f"{__package__}.dashboard.{part}")
