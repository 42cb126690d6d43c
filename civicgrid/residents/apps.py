from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "civicgrid.residents"
    label = "residents"
    verbose_name = _("实有人口")

    def ready(self) -> None:
        from civicgrid.core import attachments, personal

        from . import care, panels, visit_panels
        from .models import Visit
        from .workflow import VisitPhoto

        personal.register_look(care.LOOK_KEY, _("关爱对象·敏感类别"))
        attachments.accept(Visit, stages=VisitPhoto)
        panels.register()
        visit_panels.register()
