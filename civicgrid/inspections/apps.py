from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "civicgrid.inspections"
    label = "inspections"
    verbose_name = _("安全检查")

    def ready(self) -> None:
        from civicgrid.core import attachments, notifications

        from . import field_panels, home_panels, order_panels, rent_panels
        from .choices import InspectionPhoto, NotificationKind, OrderPhoto, RentPhoto
        from .models import Inspection, Order, RentEntry

        attachments.accept(Inspection, stages=InspectionPhoto)
        attachments.accept(Order, stages=OrderPhoto)
        attachments.accept(RentEntry, stages=RentPhoto)
        notifications.register_kinds(NotificationKind)
        order_panels.register()
        home_panels.register()
        rent_panels.register()
        field_panels.register()
        # The frames' bodies register themselves when their modules load: load them with the
        # app, so the pages and the API offer every action whatever was imported first.
        for module in ("orders", "plans", "renting"):
            import_module(f"{__package__}.actions.{module}")
