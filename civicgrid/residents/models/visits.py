"""走访: planned and done visits to households (a machine on the kernel: residents.workflow)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import VisitMethod, VisitStatus
from ..querysets import VisitQuerySet


class Visit(AuditedModel):
    household = models.ForeignKey(
        "residents.Household", verbose_name=_("住户"), on_delete=models.PROTECT, related_name="visits"
    )
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("状态"), max_length=16, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    planned_for = models.DateField(_("计划日期"), null=True, blank=True)
    # The care kinds the visit answers for (the due list's reasons), e.g. ["alone", "age90"].
    reasons = models.JSONField(_("走访事由"), default=list, blank=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visited_at = models.DateTimeField(_("走访时间"), null=True, blank=True, db_index=True)
    method = models.CharField(
        _("走访方式"), max_length=16, choices=VisitMethod.choices, default=VisitMethod.DOOR
    )
    found = models.TextField(_("走访情况"), blank=True)
    follow_up = models.TextField(_("后续跟进"), blank=True)
    needs_follow_up = models.BooleanField(_("需要跟进"), default=False)
    # The GPS check-in on the phone form, and its distance from the building.
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(_("签到距离（米）"), null=True, blank=True)
    # The case opened from this visit (cases.actions through the visit's "open_case").
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        ordering = ["-visited_at", "-planned_for", "-id"]
        indexes = [models.Index(fields=["household", "status", "visited_at"], name="residents_visit_last")]

    def __str__(self) -> str:
        return f"{self.household} · {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("residents:visit", args=[self.pk])
