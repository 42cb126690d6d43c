"""What each role may do in the work-order loop (core.capabilities)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

STAFF = {Role.ADMIN, Role.DISPATCHER, Role.GRID_WORKER, Role.CADRE, Role.HANDLER, Role.LEADER}

define("cases.desk", {Role.DISPATCHER, Role.ADMIN}, _("受理、派遣、结案与回访"))
define("cases.handle", {Role.HANDLER}, _("签收、办理与反馈派单"))
define("cases.verify", {Role.DISPATCHER, Role.ADMIN, Role.GRID_WORKER}, _("现场核查"))
define("cases.supervise", {Role.DISPATCHER, Role.ADMIN, Role.LEADER}, _("督办工单"))
define("cases.escalate", {Role.DISPATCHER, Role.ADMIN, Role.CADRE}, _("升级工单"))
define("cases.comment", STAFF, _("备注工单"))
# Background jobs (jobs.py): the 12345 upload; the case export and the monthly report.
define("cases.import", {Role.DISPATCHER, Role.ADMIN}, _("导入 12345 工单"))
define("cases.export", {Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.CADRE}, _("导出工单和报表"))
