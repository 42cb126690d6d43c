"""What administrators configure: the category tree and the duty table (who handles what where)."""

from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from ..choices import CategoryKind, RequestType
from ..querysets import CategoryQuerySet, DutyRuleQuerySet


class Category(AuditedModel):
    """Event and component classes (GB/T 30428.2 ordering) plus local extensions."""

    code = models.CharField(_("编码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    # Shown to English users (`label`); empty falls back to the Chinese name.
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(
        _("类别"), max_length=16, choices=CategoryKind.choices, default=CategoryKind.EVENT
    )
    default_request_type = models.CharField(
        _("默认诉求类型"), max_length=16, choices=RequestType.choices, blank=True
    )
    # Emergencies (突发事件) run on calendar hours, not working days.
    is_emergency = models.BooleanField(_("突发事件（按小时计时）"), default=False)
    # Overrides of the settings' defaults; empty means "inherit from the parent, then settings".
    response_minutes = models.PositiveIntegerField(_("响应时限（分钟）"), null=True, blank=True)
    handling_working_days = models.PositiveSmallIntegerField(_("处置时限（工作日）"), null=True, blank=True)
    handling_hours = models.PositiveSmallIntegerField(_("处置时限（小时，突发事件）"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题分类")
        verbose_name_plural = _("问题分类")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def label(self) -> str:
        """The name in the active language: the English name for English users, if set."""
        if self.name_en and (translation.get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cases:category", args=[self.code])

    def lineage(self) -> list["Category"]:
        """Self first, then the ancestors up to the root."""
        chain: list[Category] = []
        node: Category | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def inherited(self, field: str) -> object:
        for node in self.lineage():
            value = getattr(node, field)
            if value not in (None, ""):
                return value
        return None

    @property
    def emergency(self) -> bool:
        return any(node.is_emergency for node in self.lineage())


class DutyRule(AuditedModel):
    """The duty table: in this area, this category goes to this lead unit (+ co-handlers, 吹哨报到).
    The most specific area wins (grid > residential area > street), then the most specific category."""

    category = models.ForeignKey(
        Category, verbose_name=_("问题分类"), on_delete=models.CASCADE, related_name="duties"
    )
    area = models.ForeignKey(
        Area, verbose_name=pgettext_lazy("singular", "区域"), on_delete=models.CASCADE, related_name="duties"
    )
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("主办单位"), on_delete=models.CASCADE, related_name="lead_duties"
    )
    co_units = models.ManyToManyField(Unit, verbose_name=_("协办单位"), blank=True, related_name="co_duties")
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = DutyRuleQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("singular", "职责分工")
        verbose_name_plural = _("职责分工")
        ordering = ["area__code", "category__code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "area"], name="dutyrule_unique_category_area")
        ]

    def __str__(self) -> str:
        return f"{self.area.name} · {self.category.label} → {self.lead_unit.name}"

    def get_absolute_url(self) -> str:
        return reverse("cases:duty", args=[self.pk])

    def audit_street_id(self) -> int | None:
        return self.area.street_id
