from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "civicgrid.residents"
    label = "residents"
    verbose_name = _("实有人口")

    def ready(self) -> None:
        from civicgrid.core import personal

        from . import care, panels

        personal.register_look(care.LOOK_KEY, _("关爱对象·敏感类别"))
        panels.register()
