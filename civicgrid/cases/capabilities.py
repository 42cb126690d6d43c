"""What the work-order loop lets roles do (core.capabilities). The workflow table names the
first six per transition; pages, jobs and the API the rest."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import STAFF, define
from civicgrid.core.choices import Role

DESK = {Role.DISPATCHER, Role.ADMIN}

define("cases.desk", DESK, _("受理、派遣、结案、回访"))
define("cases.handle", {Role.HANDLER}, _("签收、办理、申请延期（处置单位）"))
define("cases.verify", {*DESK, Role.GRID_WORKER}, _("现场核查"))
define("cases.supervise", {*DESK, Role.LEADER}, _("督办"))
define("cases.escalate", {*DESK, Role.CADRE}, _("上报升级"))
define("cases.comment", STAFF, _("添加备注"))

# Residents see their own reports; the queryset narrows each role to its slice.
define("cases.view", Role.values, _("查看工单和问题分类"))
# Which action a role may take is the workflow table's; this lets staff act at all.
define("cases.act", STAFF, _("处理工单"))
define("cases.import", DESK, _("导入 12345 工单"))
define("cases.intake_model", DESK, _("训练智能派单模型"))
# The workbench: the desk, the street's leaders, and cadres for their own area (its list
# comes from restrict(), so a cadre sees only their residential area's cases).
define("cases.workbench", {*DESK, Role.LEADER, Role.CADRE}, _("工单工作台"))
define("cases.export", {*DESK, Role.LEADER, Role.CADRE}, _("导出工单"))
# The printed forms name units and staff: the staff's, for the cases restrict() shows them.
define("cases.print", STAFF, _("打印派遣单、督办单、结案单"))
define("cases.metrics", {*DESK, Role.LEADER, Role.CADRE}, _("查看办理成效、生成月度报表"))
# The phone pages: report on patrol and verify on site.
define("cases.mobile", {*DESK, Role.GRID_WORKER}, _("巡查上报和现场核查（手机页面）"))
# Patrols (巡查): the grid worker keeps their own; the desk and leaders read the street's (grid
# work is measured in patrols; they name the worker, whom a cadre's scope does not show).
define("cases.patrol", {Role.GRID_WORKER}, _("巡查（开始、结束、记录轨迹）"))
define("cases.patrols", {*DESK, Role.GRID_WORKER, Role.LEADER}, _("查看巡查记录"))
