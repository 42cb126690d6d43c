"""What a street sets for its inspections (core.profile): the rectification deadline per
severity, when an overdue order goes up a level, how a group-rented flat is re-checked, and
when a place counts as a repeat offender."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.profile import Int, Limits, define

from .choices import Severity

define(
    "inspections.deadline_days",
    Limits(tuple(Severity.choices), 0, 60),
    {"minor": 15, "general": 10, "serious": 5, "major": 0},
    _("整改期限（工作日，按严重程度）"),
    _("0 表示按小时计（见“按小时计的整改时限”）"),
)
define("inspections.major_deadline_hours", Int(1, 168), 24, _("按小时计的整改时限（小时）"))
define(
    "inspections.escalate_after_days",
    Int(0, 30),
    3,
    _("逾期督办后提级的工作日数"),
    _("整改通知逾期即督办；督办后仍未整改满该工作日数，提级到街道领导"),
)
define("inspections.rent_clean_checks", Int(1, 12), 3, _("群租销号所需连续无反弹复查次数"))
define("inspections.rent_recheck_days", Int(7, 180), 30, _("群租复查间隔（天）"))
define(
    "inspections.repeat_offender_orders",
    Int(2, 50),
    3,
    _("屡查屡犯：一年内整改通知数"),
)
define("inspections.checkin_far_m", Int(10, 5000), 200, _("检查签到距离提醒（米）"))
