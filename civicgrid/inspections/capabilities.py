"""Who may do what in safety inspections (core.capabilities). The street's safety office
(its administrators) and leaders plan and decide; grid workers, cadres and the units on joint
inspections inspect; the desk registers group-renting clues from complaints. Unannounced
plans (四不两直) are known only to those who order them and those who carry them out."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

OFFICE = {Role.ADMIN, Role.LEADER}
FIELD = {Role.GRID_WORKER, Role.CADRE, Role.HANDLER}

define(
    "inspections.view",
    {*OFFICE, *FIELD, Role.DISPATCHER},
    _("查看检查场所、检查记录和整改通知"),
)
define("inspections.manage", OFFICE, _("维护检查场所，决定整改期限、上报和撤销"))
define("inspections.checklists", {Role.ADMIN}, _("修订检查表"))
define("inspections.plan", OFFICE, _("制定检查计划、派发检查任务"))
define("inspections.inspect", {*OFFICE, *FIELD}, _("实施检查、复查整改"))
define("inspections.unannounced", OFFICE, _("查看四不两直检查计划"))
define("inspections.reveal_contact", {*OFFICE, Role.GRID_WORKER}, _("查看场所责任人完整电话"))
define("inspections.renting", {*OFFICE, *FIELD, Role.DISPATCHER}, _("群租登记和整治"))
define("inspections.export", OFFICE, _("导出检查和整改数据"))
