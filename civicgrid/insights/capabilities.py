"""What the insights app lets roles do (core.capabilities)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

STREET_WIDE = {Role.ADMIN, Role.DISPATCHER, Role.LEADER}

# Roles whose scope is whole streets: their figures can be summed from per-street rollups.
# Handlers (cases of their unit), residents (their own reports) and roles bound below street
# level (cadres, grid workers) see slices no rollup row describes; insights.metrics answers
# them live through cases.metrics, which is cheap for such small slices.
define("insights.rollups", STREET_WIDE, _("按街道读取成效汇总"))
define("insights.dashboard", STREET_WIDE, _("查看城运驾驶舱、源头分析和周报月报"))
define("insights.plans.view", {*STREET_WIDE, Role.HANDLER}, _("查看源头治理方案（责任单位看本单位的）"))
define("insights.plans.manage", STREET_WIDE, _("制定、调整、完成源头治理方案"))
define("insights.plans.report", {*STREET_WIDE, Role.HANDLER}, _("报告源头治理方案的进展"))

# Whose eyes a scheduled report reads the street with, in this order (insights.reports.reader_of).
REPORT_READERS = (Role.LEADER, Role.ADMIN)
