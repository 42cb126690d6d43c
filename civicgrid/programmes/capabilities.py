"""What the programmes app lets roles do (core.capabilities). The street's offices (the street
administrators) run the year's practical projects, the welfare projects with the member units
and the representatives' meeting; a project's owner unit reports its progress and a unit
answers the proposals assigned to it; leaders supervise; residents' committee cadres follow
the projects and help with welfare needs in their committee."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

define(
    "programmes.view",
    {Role.ADMIN, Role.LEADER, Role.CADRE, Role.DISPATCHER, Role.HANDLER},
    _("查看实事项目、公益项目与代表提案"),
)
define("programmes.projects", {Role.ADMIN}, _("编制实事项目：目标、节点、关联工单"))
define("programmes.report", {Role.ADMIN, Role.HANDLER}, _("报告实事项目进展（责任单位）"))
define("programmes.supervise", {Role.ADMIN, Role.LEADER}, _("督办逾期的实事项目节点"))
define("programmes.welfare", {Role.ADMIN, Role.CADRE}, _("发布公益项目、登记成员单位认领"))
define("programmes.confirm_claims", {Role.ADMIN}, _("确认公益项目认领、登记交付与结项"))
define("programmes.reveal_contact", {Role.ADMIN}, _("查看成员单位联系人电话"))
define("programmes.proposals", {Role.ADMIN}, _("代表提案工作：会议、代表、立案、交办"))
define("programmes.answer", {Role.ADMIN, Role.HANDLER}, _("答复交办的代表提案"))
define("programmes.evaluations", {Role.ADMIN}, _("组织民主测评并计票"))
define("programmes.reports", {Role.ADMIN, Role.LEADER}, _("生成年度报告"))
# A handling unit's staff see only their unit's rows: the projects it owns, the proposals
# assigned to it (querysets.ProgrammeQuerySet).
define("programmes.own_unit_only", {Role.HANDLER}, _("只看本单位负责的实事项目和交办的提案"))
