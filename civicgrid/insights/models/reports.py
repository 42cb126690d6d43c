"""Weekly and monthly reports (周报、月报) per street: PDF files made by a scheduled job
(insights.reports), kept for download."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.geo.models import Area

from ..choices import ReportKind
from ..querysets import StreetOwnedQuerySet


def report_path(report: "Report", filename: str) -> str:
    return f"reports/{report.street_id}/{report.kind}/{filename}"


class Report(models.Model):
    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=16, choices=ReportKind.choices)
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))  # inclusive
    file = models.FileField(_("文件"), upload_to=report_path, max_length=255)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    generated_at = models.DateTimeField(_("生成时间"))

    objects = StreetOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("周报月报")
        verbose_name_plural = _("周报月报")
        ordering = ["-period_start", "kind", "street_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "kind", "period_start"], name="insights_report_unique_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.street_id} {self.kind} {self.period_start}"

    def get_absolute_url(self) -> str:
        return reverse("insights:report", args=[self.pk])
