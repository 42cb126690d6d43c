from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "civicgrid.insights"
    label = "insights"
    verbose_name = _("统计分析")

    def ready(self) -> None:
        from civicgrid.core import attachments, events, notifications

        from . import profile_settings  # noqa: F401  (declares the street's settings)
        from .choices import NotificationKind, PlanPhoto
        from .models import GovernancePlan
        from .rollups import CONSUMER

        events.register(CONSUMER)
        attachments.accept(GovernancePlan, stages=PlanPhoto)
        notifications.register_kinds(NotificationKind)
        # The frame's bodies register themselves when their module loads: load it with the app,
        # so the pages and the API offer every action whatever was imported first.
        import_module(f"{__package__}.actions.plans")
        # The reports' job kinds (core.jobs autodiscovers jobs.py only).
        import_module(f"{__package__}.report_jobs")
        # The plans' export job (core.jobs discovers only modules named jobs.py).
        import_module(f"{__package__}.plan_jobs")
