from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from .choices import Action, AuditEvent, Role
from .querysets import RestrictedQuerySet


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class AuditedModel(TimeStampedModel):
    """A registry object whose every create/update/delete is written to AuditLog
    (see core.audit). `audit_street_id()` tells the log which street it belongs to."""

    audit_exclude: tuple[str, ...] = ("created_at", "updated_at")

    class Meta:
        abstract = True

    def audit_street_id(self) -> int | None:
        return getattr(self, "street_id", None)


class AuditLogQuerySet(RestrictedQuerySet):
    """A street's administrators and leaders read their street's trail; rows without a
    street (district-level objects) only superusers read."""

    permissions = {Action.VIEW: frozenset({Role.ADMIN, Role.LEADER})}
    street_field = "street_id"


class AuditLog(models.Model):
    timestamp = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField("操作人", max_length=150, blank=True)
    via = models.CharField("途径", max_length=40, blank=True, help_text="web / admin / api / command")
    event = models.CharField("操作", max_length=10, choices=AuditEvent.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField("对象", max_length=255)
    # {"field": [before, after]} for updates; {"field": value} snapshots for create/delete.
    changes = models.JSONField("变更", default=dict)
    street_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-timestamp"], name="audit_object_idx")]

    def __str__(self) -> str:
        who = self.actor_label or "系统"
        return f"{self.timestamp:%Y-%m-%d %H:%M} {who} {self.get_event_display()} {self.object_repr}"

    @classmethod
    def for_object(cls, obj: Any) -> models.QuerySet["AuditLog"]:
        ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        return cls.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related("actor")
