"""An alert: one device, one condition, open until it is answered, escalated into a case (with a
door visit for a care alert), recovers by itself, or is marked a false alarm (which suppresses
the same alert for the street's window). At most one live alert per device and condition:
repeats update it."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import LIVE, AlertStatus, Condition
from ..querysets import AlertQuerySet
from .devices import Device


class Alert(AuditedModel):
    device = models.ForeignKey(
        Device, verbose_name=_("设备"), on_delete=models.PROTECT, related_name="alerts"
    )
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    condition = models.CharField(_("报警类型"), max_length=16, choices=Condition.choices)
    status = models.CharField(_("状态"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    opened_at = models.DateTimeField(_("报警时间"), db_index=True)
    last_at = models.DateTimeField(_("最近一次"))
    repeats = models.PositiveIntegerField(_("重复次数"), default=0)
    value = models.FloatField(_("读数"), null=True, blank=True)
    event = models.CharField(_("事件"), max_length=16, blank=True)
    closed_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    # After a false alarm: the same device and condition raise nothing until then.
    suppressed_until = models.DateTimeField(_("抑制至"), null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visit = models.ForeignKey(
        "residents.Visit",
        verbose_name=_("上门走访"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("处置说明"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("物联报警")
        verbose_name_plural = _("物联报警")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "condition"],
                condition=models.Q(status__in=[str(s) for s in LIVE]),
                name="sensors_alert_one_live",
            )
        ]
        indexes = [models.Index(fields=["status", "condition", "opened_at"], name="sensors_alert_due")]

    def __str__(self) -> str:
        return f"{self.device} {self.get_condition_display()}"

    def get_absolute_url(self) -> str:
        return reverse("sensors:alert", args=[self.pk])
