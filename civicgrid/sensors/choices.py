"""Named choices of the sensors app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Condition(models.TextChoices):
    """What an alert is about. NO_USE: a watched flat's water meter shows no use (a care alert
    first, a case if nobody answers); ALARM: a reading or event beyond the device type's limit
    (a case at once); OFFLINE: a device silent longer than its type allows (a task to check it)."""

    NO_USE = "no_use", _("长时间无用水")
    ALARM = "alarm", _("设备报警")
    OFFLINE = "offline", _("设备离线")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处置")
    ESCALATED = "escalated", _("已转工单")
    RESOLVED = "resolved", _("已解除")
    FALSE_ALARM = "false_alarm", _("误报")


LIVE = (AlertStatus.OPEN, AlertStatus.ESCALATED)


class AlertAction(models.TextChoices):
    RAISE = "raise", _("报警")
    ANSWER = "answer", _("已联系，情况正常")
    ESCALATE = "escalate", _("转工单并安排上门")
    AUTO_ESCALATE = "auto_escalate", _("自动转工单")
    FALSE_ALARM = "false_alarm", _("标记误报")
    RECOVER = "recover", _("自动恢复")


class Rejected(models.TextChoices):
    """Why a reading was not stored (counted by the consumer and the HTTP endpoint)."""

    MALFORMED = "malformed", _("格式错误")
    UNKNOWN_DEVICE = "unknown_device", _("未登记的设备")
    SKEW = "skew", _("时间偏差过大")
    DUPLICATE = "duplicate", _("重复上报")


class NotificationKind(models.TextChoices):
    CARE_ALERT = "sensors_care", _("独居老人用水异常")
    ALARM = "sensors_alarm", _("设备报警")
    OFFLINE = "sensors_offline", _("设备离线")
