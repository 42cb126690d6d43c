"""Inspection records: what was checked where, by whom, item by item."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import Outcome, TaskPurpose
from ..querysets import InspectionQuerySet


class Inspection(AuditedModel):
    """One inspection of a place, against the checklist revision it used (kept, never the
    current one). Written once, by inspections.actions.records; `client_key` is the phone
    form's idempotency key, so a draft sent twice (offline, then again) is recorded once."""

    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(
        "inspections.Place", verbose_name=_("场所"), on_delete=models.PROTECT, related_name="inspections"
    )
    task = models.ForeignKey(
        "inspections.Task",
        verbose_name=_("检查任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checklist = models.ForeignKey(
        "inspections.Checklist", verbose_name=_("检查表"), on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(
        _("检查类型"), max_length=16, choices=TaskPurpose.choices, default=TaskPurpose.ROUTINE
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    joint_with = models.CharField(_("联合检查单位"), max_length=200, blank=True)
    inspected_at = models.DateTimeField(_("检查时间"), db_index=True)
    unannounced = models.BooleanField(_("不打招呼"), default=False)
    note = models.TextField(_("检查情况"), blank=True)
    passed = models.PositiveSmallIntegerField(_("合格项"), default=0)
    failed = models.PositiveSmallIntegerField(_("不合格项"), default=0)
    not_applicable = models.PositiveSmallIntegerField(_("不适用项"), default=0)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(_("签到距离（米）"), null=True, blank=True)
    client_key = models.CharField(_("提交编号"), max_length=64, unique=True, null=True, blank=True)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["-inspected_at", "-id"]

    def __str__(self) -> str:
        return gettext("%(place)s %(at)s 检查") % {"place": self.place, "at": f"{self.inspected_at:%Y-%m-%d}"}

    def get_absolute_url(self) -> str:
        return reverse("inspections:inspection", args=[self.pk])


class ItemResult(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(
        "inspections.ChecklistItem", verbose_name=_("检查项"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        ordering = ["inspection_id", "item__position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="inspections_result_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.outcome}"
