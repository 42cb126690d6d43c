"""What the community app lets roles do (core.capabilities). The street office (street
administrators) keeps the venues, the service centre and the newsletter; residents'
committee cadres run their committee's activities and volunteers and ask for 上门办 for the
people they look after; residents sign up, book and ask for themselves, and see only what is
theirs besides the published activities, venues, the catalogue and published newsletters."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

STAFF = {Role.ADMIN, Role.LEADER, Role.CADRE, Role.DISPATCHER, Role.GRID_WORKER}

define("community.view", STAFF | {Role.RESIDENT}, _("查看社区活动、志愿服务、服务中心与社区报"))
define("community.venues", {Role.ADMIN}, _("管理活动场所、活动室与开放时间"))
define("community.activities", {Role.ADMIN, Role.CADRE}, _("组织社区活动：发布、截止报名、结束、取消"))
define("community.sign_up", {Role.ADMIN, Role.CADRE, Role.RESIDENT}, _("活动报名（本人或代居民电话报名）"))
define("community.check_in", {Role.ADMIN, Role.CADRE, Role.RESIDENT}, _("活动签到"))
define("community.volunteers", {Role.ADMIN, Role.CADRE}, _("志愿者登记、团队与志愿岗位安排"))
define("community.confirm_hours", {Role.ADMIN, Role.CADRE}, _("确认与冲销志愿服务时长"))
define("community.service", {Role.ADMIN}, _("维护服务事项、窗口、AB角与请假"))
define("community.service_desk", {Role.ADMIN}, _("服务中心前台：取号叫号、办结、安排上门办"))
define("community.book", {Role.ADMIN, Role.CADRE, Role.RESIDENT}, _("预约服务事项、申请上门办（本人或代办）"))
define("community.newsletter", {Role.ADMIN}, _("编辑出版社区报"))
define("community.reveal_contact", {Role.ADMIN, Role.CADRE}, _("查看报名者、志愿者与上门办对象的联系方式"))
# Residents read the published activities, the venues, the catalogue and the published
# newsletters of their street, and of the rest only their own rows (querysets.CommunityQuerySet).
define("community.own_rows_only", {Role.RESIDENT}, _("只看本人的报名、预约与申请"))
