"""Source-governance plans (源头治理方案): what the street does about a hotspot the analysis
found, tracked to completion on the kernel's engine (insights.workflow.PLANS)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Case
from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from ..choices import HotspotKind, PlanStatus
from ..querysets import GovernancePlanQuerySet


class GovernancePlan(AuditedModel):
    """A plan against one hotspot. `hotspot_params` are the case filter's parameters
    (cases.filters.CaseFilterSet, without the period) that select the hotspot's cases: the
    plan page counts them per week before and after `started_on` with that one filter, so the
    chart and the lists its bars open agree. `cases` are the cases the plan answers (those
    found at the hotspot when it was made, and any linked later)."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("方案名称"), max_length=100)
    hotspot_kind = models.CharField(_("问题类型"), max_length=16, choices=HotspotKind.choices)
    hotspot_label = models.CharField(_("问题点"), max_length=200)
    hotspot_params = models.JSONField(_("问题点工单条件"), default=dict, blank=True)
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    measures = models.TextField(_("治理措施"))
    deadline = models.DateField(_("完成时限"))
    status = models.CharField(_("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    started_on = models.DateField(_("开始实施日期"))
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    result = models.TextField(_("治理成效"), blank=True)
    cases = models.ManyToManyField(
        Case, verbose_name=_("关联工单"), blank=True, related_name="governance_plans"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = GovernancePlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("源头治理方案")
        verbose_name_plural = _("源头治理方案")
        ordering = ["-started_on", "-id"]
        indexes = [models.Index(fields=["street", "status", "deadline"], name="insights_plan_street_status")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("insights:plan", args=[self.pk])
