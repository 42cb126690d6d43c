"""What a street sets for its root-cause analysis (core.profile): when an address is a
repeated-address hotspot, when a category keeps coming back in a grid, when a week-over-week
rise is worth showing, how many hot topics to look for."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.profile import Int, define

define(
    "insights.repeat_address_cases",
    Int(2, 100),
    3,
    _("重复地址：同一地址（楼栋）工单数达到"),
    _("在“重复地址统计天数”内达到该数即列为重复地址"),
)
define("insights.repeat_address_days", Int(1, 365), 30, _("重复地址统计天数"))
define("insights.recurrence_weeks", Int(2, 26), 8, _("反复发生：回看周数"))
define(
    "insights.recurrence_min_weeks",
    Int(2, 26),
    3,
    _("反复发生：同一分类在同一网格出现工单的周数达到"),
)
define("insights.rise_min_cases", Int(1, 1000), 5, _("环比上升：本周工单数至少"))
define("insights.rise_percent", Int(1, 1000), 50, _("环比上升：增幅至少（%）"))
define("insights.topic_clusters", Int(2, 30), 8, _("热点话题：聚类个数"))
define("insights.topic_days", Int(7, 365), 30, _("热点话题：分析最近天数"))
