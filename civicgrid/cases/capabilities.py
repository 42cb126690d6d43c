"""Capabilities of the work-order loop (core.capabilities)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

define("cases.import", {Role.DISPATCHER, Role.ADMIN}, _("导入 12345 工单"))
define("cases.export", {Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.CADRE}, _("导出工单和报表"))
