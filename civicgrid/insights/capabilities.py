"""What the insights app lets roles do (core.capabilities)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

# Roles whose scope is whole streets: their figures can be summed from per-street rollups.
# Handlers (cases of their unit), residents (their own reports) and roles bound below street
# level (cadres, grid workers) see slices no rollup row describes; insights.metrics answers
# them live through cases.metrics, which is cheap for such small slices.
define("insights.rollups", {Role.ADMIN, Role.DISPATCHER, Role.LEADER}, _("按街道读取成效汇总"))
