"""What the profiles app lets roles do (core.capabilities)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

# Which streets: Area.objects.restrict(user, "change") (profiles.actions.editable_areas).
define("profiles.edit", {Role.ADMIN}, _("维护本街道的配置（时限、公开分类、重复工单判定）"))
