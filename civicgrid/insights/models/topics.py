"""Hot-topic runs (热点话题): one clustering of a street's case descriptions over a period
(insights.topics), run as a background job; the page shows the latest run."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import Job
from civicgrid.geo.models import Area

from ..choices import TopicRunStatus
from ..querysets import StreetOwnedQuerySet


class TopicRun(models.Model):
    """`clusters`: [{"terms": [..top terms..], "size": n, "case_ids": [...all...],
    "examples": [{"id", "number", "text"}...]}], largest first (insights.topics)."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.CASCADE, related_name="+")
    date_from = models.DateField(_("受理日期从"))
    date_to = models.DateField(_("至"))
    status = models.CharField(
        _("状态"), max_length=16, choices=TopicRunStatus.choices, default=TopicRunStatus.RUNNING
    )
    cases = models.PositiveIntegerField(_("分析工单数"), default=0)
    clusters = models.JSONField(_("话题"), default=list, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = StreetOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("热点话题分析")
        verbose_name_plural = _("热点话题分析")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.street_id} {self.date_from}–{self.date_to}"
