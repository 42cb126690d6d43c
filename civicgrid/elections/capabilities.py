"""What the elections app lets roles do (core.capabilities). The street's election office
(街道选举办: the street administrators) runs the round; a residents' committee's cadres run
their own committee's election on the system for its election committee (选举委员会)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

define("elections.view", {Role.ADMIN, Role.LEADER, Role.CADRE}, _("查看换届选举"))
define("elections.manage", {Role.ADMIN}, _("组织换届：届次、选举规则、各居委会的选举与日程"))
define("elections.conduct", {Role.ADMIN, Role.CADRE}, _("办理本居委会选举：选民登记、申诉、候选人、计票"))
define("elections.report", {Role.ADMIN}, _("公告选举结果并报区备案"))
define("elections.statistics", {Role.ADMIN, Role.LEADER}, _("查看街道换届选举统计"))
