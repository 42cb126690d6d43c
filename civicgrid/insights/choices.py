"""Named choices of insights: hotspots, source-governance plans, reports."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class HotspotKind(models.TextChoices):
    """What the root-cause analysis found (insights.analysis, insights.topics)."""

    ADDRESS = "address", _("重复地址")
    BUILDING = "building", _("重复楼栋")
    RECURRENCE = "recurrence", _("反复发生（分类×网格）")
    RISE = "rise", _("环比上升")
    TOPIC = "topic", _("热点话题")
    OTHER = "other", _("其他")


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("实施中")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


class PlanAction(models.TextChoices):
    REPORT = "report", pgettext_lazy("governance plan action", "报告进展")
    REVISE = "revise", pgettext_lazy("governance plan action", "调整方案")
    LINK = "link", pgettext_lazy("governance plan action", "关联工单")
    COMPLETE = "complete", pgettext_lazy("governance plan action", "完成")
    CANCEL = "cancel", pgettext_lazy("governance plan action", "撤销")
    REOPEN = "reopen", pgettext_lazy("governance plan action", "重新实施")


class ReportKind(models.TextChoices):
    WEEKLY = "weekly", _("周报")
    MONTHLY = "monthly", _("月报")


class TopicRunStatus(models.TextChoices):
    RUNNING = "running", _("分析中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class PlanPhoto(models.TextChoices):
    PROGRESS = "progress", _("进展照片")


class NotificationKind(models.TextChoices):
    PLAN = "insights.plan", _("源头治理方案")
    PLAN_OVERDUE = "insights.plan_overdue", _("治理方案逾期")
