"""Plans (定期检查、专项行动、四不两直) and the tasks they give grid workers and units."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from ..choices import PlanKind, Recurrence, TaskPurpose, TaskStatus
from ..querysets import PlanQuerySet, TaskQuerySet


class Plan(AuditedModel):
    """Which places are inspected, how often, by whom. `area` narrows the street to a residential
    area or grid (none: the whole street); `place_kinds` picks the kinds (empty: every kind).
    A campaign has an end and a coverage target; an unannounced plan (四不两直) is seen only by
    those who hold inspections.unannounced and by its inspectors."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(
        Area, verbose_name=_("范围"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=PlanKind.choices, default=PlanKind.RECURRING)
    place_kinds = models.JSONField(_("场所类型"), default=list, blank=True)
    recurrence = models.CharField(
        _("频次"), max_length=16, choices=Recurrence.choices, default=Recurrence.MONTHLY
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    coverage_target = models.PositiveSmallIntegerField(_("覆盖率目标（%）"), null=True, blank=True)
    unannounced = models.BooleanField(_("不打招呼（四不两直）"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("检查单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(_("执行中"), default=True)
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("检查计划")
        verbose_name_plural = _("检查计划")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("inspections:plan", args=[self.pk])


class Task(AuditedModel):
    """One place to inspect by a date: from a plan (one per place and period, `period_start`),
    a re-check of an order at its deadline, or a group-rent check. Done by the inspection that
    records it (the task machine's `complete`)."""

    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(
        "inspections.Place", verbose_name=_("场所"), on_delete=models.PROTECT, related_name="tasks"
    )
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("检查计划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    order = models.ForeignKey(
        "inspections.Order",
        verbose_name=_("整改通知"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    rent_entry = models.ForeignKey(
        "inspections.RentEntry",
        verbose_name=_("群租登记"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    purpose = models.CharField(
        _("任务类型"), max_length=16, choices=TaskPurpose.choices, default=TaskPurpose.ROUTINE
    )
    period_start = models.DateField(_("周期开始"), null=True, blank=True)
    due_on = models.DateField(_("检查期限"), db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("检查单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unannounced = models.BooleanField(_("不打招呼"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    inspection = models.ForeignKey(
        "inspections.Inspection",
        verbose_name=_("检查记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("检查任务")
        verbose_name_plural = _("检查任务")
        ordering = ["due_on", "id"]
        constraints = [
            # A plan gives a place one task per period, however often the generator runs.
            models.UniqueConstraint(fields=["plan", "place", "period_start"], name="inspections_task_period"),
        ]

    def __str__(self) -> str:
        return gettext("%(place)s · %(purpose)s") % {
            "place": self.place,
            "purpose": self.get_purpose_display(),
        }

    def get_absolute_url(self) -> str:
        return reverse("inspections:task", args=[self.pk])
