"""What a street (or its district) sets for its community life and service centre (core.profile)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.profile import Int, define

define("community.slot_minutes", Int(10, 120), 30, _("服务中心预约时段长度（分钟）"))
define("community.booking_days", Int(1, 60), 14, _("服务中心可提前预约的天数"))
define("community.waiting_target_minutes", Int(5, 120), 20, _("服务中心等候时间目标（分钟）"))
define("community.home_service_days", Int(1, 30), 5, _("上门办办理期限（工作日）"))
define("community.waiting_list_default", Int(0, 200), 10, _("活动候补名额默认值"))
