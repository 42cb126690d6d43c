"""Choices shared by several apps. Each app keeps its own in its choices.py."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "街道管理员"
    DISPATCHER = "dispatcher", "城运中心调度员"
    GRID_WORKER = "gridworker", "网格员"
    CADRE = "cadre", "居委干部"
    HANDLER = "handler", "处置单位人员"
    LEADER = "leader", "街道领导"
    RESIDENT = "resident", "居民"


# Roles that work inside the street's offices and may read its registry.
STAFF_ROLES = frozenset(
    {Role.ADMIN, Role.DISPATCHER, Role.GRID_WORKER, Role.CADRE, Role.HANDLER, Role.LEADER}
)


class Action(models.TextChoices):
    VIEW = "view", "查看"
    ADD = "add", "新增"
    CHANGE = "change", "修改"
    DELETE = "delete", "删除"


class AuditEvent(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
