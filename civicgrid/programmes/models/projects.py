"""Practical projects (实事项目): a street's promises for a year with numeric targets, dated
milestones, the owner's progress reports and the cases they answer (seed 002: 450 homes
rewired, 16 e-bike charging sites)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.fields import ClockDateTimeField
from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import MilestoneStatus, ProjectCategory, ProjectStatus
from ..querysets import ProjectPartQuerySet, ProjectQuerySet

POSITIVE = MinValueValidator(Decimal("0.01"))
NOT_NEGATIVE = MinValueValidator(Decimal("0"))


class Project(AuditedModel):
    """One practical project of a street's year. A parent project's progress is its children's
    (weighted by `weight`, as Decidim's accountability does); a project without children takes
    its progress from its targets (progress.py). `progress` is that figure, kept up to date by
    the actions that change a target, a child or the tree."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级项目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    title = models.CharField(_("项目名称"), max_length=120)
    category = models.CharField(_("类别"), max_length=16, choices=ProjectCategory.choices)
    description = models.TextField(_("项目内容"), blank=True)
    # The owner: a handling unit (it reports progress) or, for the street's own offices, a name.
    owner_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner_office = models.CharField(_("责任科室"), max_length=60, blank=True)
    budget = models.DecimalField(
        _("预算（万元）"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[NOT_NEGATIVE]
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("计划完成日期"))
    # Where it is (a residential area, else the whole street).
    area = models.ForeignKey(
        Area, verbose_name=_("实施地点"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Cases of these categories in the project's area are its linked cases besides the ones
    # linked by hand (CaseLink): e-bike charging complaints for the charging-site project.
    case_categories = models.ManyToManyField(
        "cases.Category", verbose_name=_("关联工单类别"), blank=True, related_name="+"
    )
    weight = models.PositiveSmallIntegerField(_("在上级项目中的权重"), default=1)
    status = models.CharField(
        _("状态"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT
    )
    progress = models.DecimalField(_("完成进度（%）"), max_digits=5, decimal_places=2, default=Decimal("0"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("实事项目")
        verbose_name_plural = _("实事项目")
        ordering = ["-year", "street_id", "id"]
        indexes = [models.Index(fields=["street", "year"], name="programmes_project_year")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programmes:project", args=[self.pk])

    @property
    def owner_name(self) -> str:
        return self.owner_unit.name if self.owner_unit_id and self.owner_unit else self.owner_office


class Target(AuditedModel):
    """A numeric target of a project (改造户数 450 户). `reached` is the latest figure its owner
    reported (cumulative, never above what was reported)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="targets")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("指标"), max_length=60)
    unit = models.CharField(_("计量单位"), max_length=12)
    goal = models.DecimalField(_("目标值"), max_digits=12, decimal_places=2, validators=[POSITIVE])
    reached = models.DecimalField(
        _("已完成"), max_digits=12, decimal_places=2, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = ProjectPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目指标")
        verbose_name_plural = _("项目指标")
        ordering = ["project_id", "order", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.goal.normalize():f}{self.unit}"


class ProjectMilestone(AuditedModel):
    """A dated milestone of a project, supervised like a case: overdue when its day passes
    undone (the daily job's system transition), then supervised (督办) by leaders."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("节点"), max_length=80)
    due_on = models.DateField(_("计划完成日期"))
    done_on = models.DateField(_("实际完成日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=MilestoneStatus.choices, default=MilestoneStatus.OPEN
    )
    supervisions = models.PositiveSmallIntegerField(_("督办次数"), default=0)
    version = models.PositiveIntegerField(default=1)

    objects = ProjectPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目节点")
        verbose_name_plural = _("项目节点")
        ordering = ["project_id", "due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="programmes_milestone_due")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programmes:project", args=[self.project_id]) + f"#milestone-{self.pk}"


class ProgressReport(AuditedModel):
    """One progress report of the owner (the project's REPORT action): the figure reached on
    one target as of `reported_on` (cumulative), a note; its photos are the project's
    attachments of stage `progress` with this report's event."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(
        Target,
        verbose_name=_("指标"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reports",
    )
    value = models.DecimalField(
        _("累计完成"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[NOT_NEGATIVE]
    )
    reported_on = models.DateField(_("截至日期"))
    note = models.TextField(_("进展说明"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    event_id = models.BigIntegerField(null=True, blank=True)  # the REPORT action's core.Event

    objects = ProjectPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        ordering = ["project_id", "-reported_on", "-id"]


class CaseLink(models.Model):
    """A case linked to a project by hand (the desk's 关联工单), beside those its categories
    bring in."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="case_links")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = ClockDateTimeField(auto_now_add=True)

    objects = ProjectPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("关联工单")
        verbose_name_plural = _("关联工单")
        constraints = [models.UniqueConstraint(fields=["project", "case"], name="programmes_caselink_once")]

    def __str__(self) -> str:
        return f"{self.project_id} ↔ {self.case_id}"
