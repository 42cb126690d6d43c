"""What the registry lets roles do (core.capabilities). Minimum access (个人信息保护法): the
committee's cadres keep their households; grid workers read them for visits; the desk sees the
non-sensitive care tags of a flat a case comes from; leaders and everyone else see counts."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import define
from civicgrid.core.choices import Role

KEEPERS = {Role.CADRE, Role.ADMIN}

define("residents.view", {*KEEPERS, Role.GRID_WORKER}, _("查看实有人口、实有房屋"))
define("residents.edit", KEEPERS, _("维护实有人口、实有房屋、关爱对象"))
define("residents.import", KEEPERS, _("导入实有人口"))
define("residents.export", KEEPERS, _("导出实有人口（脱敏）"))
define(
    "residents.counts",
    {*KEEPERS, Role.GRID_WORKER, Role.DISPATCHER, Role.LEADER},
    _("查看户数、人数、关爱对象数"),
)
# Non-sensitive care tags (独居老人, 残疾, 低保…): those who visit, and the desk on a case's flat.
define("residents.care_tags", {*KEEPERS, Role.GRID_WORKER, Role.DISPATCHER}, _("查看关爱对象类别"))
# The sensitive kinds: each seen only by the cadres who answer for them, every look logged.
define("residents.tags_justice", {Role.CADRE}, _("查看社区矫正、安置帮教对象"))
define("residents.tags_health", {Role.CADRE}, _("查看大病对象"))
define("residents.reveal_id", KEEPERS, _("查看完整证件号码"))
define("residents.reveal_phone", {*KEEPERS, Role.GRID_WORKER}, _("查看居民完整电话"))
define("residents.reveal_notes", {Role.CADRE}, _("查看居民敏感备注"))
define("residents.visit", {Role.CADRE, Role.GRID_WORKER}, _("走访居民（记录走访）"))
define("residents.visits", {*KEEPERS, Role.GRID_WORKER, Role.LEADER}, _("查看走访记录和待走访名单"))
# 知情考试: examiners (the street's staff and leaders) draw and grade; cadres answer their own.
define("residents.examine", {Role.ADMIN, Role.LEADER}, _("组织知情考试、抽户、评级"))
define("residents.exam_answer", {Role.CADRE}, _("参加知情考试（作答）"))
define("residents.exam_results", {Role.ADMIN, Role.LEADER, Role.CADRE}, _("查看知情考试成绩"))
