"""What a street (or its district) tunes of its sensors' rules (core.profile)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.profile import Int, define

define("sensors.no_use_hours", Int(2, 72), 12, _("独居老人水表连续无用水多少小时发出关爱提醒"))
define("sensors.escalate_minutes", Int(5, 720), 30, _("关爱提醒无人响应多少分钟后转工单并安排上门"))
define("sensors.quiet_start_hour", Int(0, 23), 23, _("静默时段开始（时）：此时段不发无用水与离线提醒"))
define("sensors.quiet_end_hour", Int(0, 23), 6, _("静默时段结束（时）"))
define("sensors.suppress_minutes", Int(0, 1440), 120, _("误报后同一设备同类报警的抑制时长（分钟）"))
