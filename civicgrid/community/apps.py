from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The parts of the app: each has its action bodies (actions/<part>.py), pages (views/<part>.py,
# whose `urlpatterns` urls.py joins), API router (api/<part>.py), FilterSets (filters/<part>.py)
# and, but the newsletter, a dashboard panel (dashboard/<part>.py).
PARTS = ("activities", "volunteers", "service", "newsletter")
PANELS = ("activities", "volunteers", "service")


class CommunityConfig(AppConfig):
    name = "civicgrid.community"
    label = "community"
    verbose_name = _("社区生活与为民服务")

    def ready(self) -> None:
        from civicgrid.core import attachments, notifications

        from .choices import HomeServicePhoto, NotificationKind
        from .models import HomeService

        attachments.accept(HomeService, stages=HomeServicePhoto)
        notifications.register_kinds(NotificationKind)
        # The frames' bodies register themselves when their modules load: load them with the
        # app, so the pages and the API offer every action whatever was imported first.
        for part in PARTS:
            import_module(f"{__package__}.actions.{part}")
        for part in PANELS:
            import_module(f"{__package__}.dashboard.{part}")
