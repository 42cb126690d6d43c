"""Choices shared by several apps. Each app keeps its own in its choices.py."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("街道管理员")
    DISPATCHER = "dispatcher", _("城运中心调度员")
    GRID_WORKER = "gridworker", _("网格员")
    CADRE = "cadre", _("居委干部")
    HANDLER = "handler", _("处置单位人员")
    LEADER = "leader", _("街道领导")
    RESIDENT = "resident", _("居民")


class Action(models.TextChoices):
    VIEW = "view", _("查看")
    ADD = "add", _("新增")
    CHANGE = "change", _("修改")
    DELETE = "delete", _("删除")


class AuditEvent(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
