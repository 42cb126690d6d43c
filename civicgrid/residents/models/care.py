"""关爱对象: care tags on persons, with start and end dates, and the kinds a street adds."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.geo.models import Area

from ..choices import CareKind
from ..querysets import CareTagQuerySet, LocalCareKindQuerySet


class LocalCareKind(AuditedModel):
    """A kind of care tag a street defines (e.g. 失独家庭), with its own visit interval."""

    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    visit_interval_days = models.PositiveSmallIntegerField(
        _("走访周期（天）"), null=True, blank=True, help_text=_("留空表示不定期走访")
    )
    is_active = models.BooleanField(_("在用"), default=True)

    objects = LocalCareKindQuerySet.as_manager()

    class Meta:
        verbose_name = _("自定义关爱类别")
        verbose_name_plural = _("自定义关爱类别")
        ordering = ["street_id", "code"]
        constraints = [models.UniqueConstraint(fields=["street", "code"], name="residents_localkind_code")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name


class CareTag(AuditedModel):
    """One care tag of a person (独居老人 from 2024-03-01…). The sensitive kinds (care.SENSITIVE)
    are left out of the rows of roles without their capability (CareTagQuerySet)."""

    person = models.ForeignKey("residents.Person", on_delete=models.CASCADE, related_name="care_tags")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类别"), max_length=16, choices=CareKind.choices, db_index=True)
    local_kind = models.ForeignKey(
        LocalCareKind,
        verbose_name=_("自定义类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tags",
    )
    disability_grade = models.PositiveSmallIntegerField(_("残疾等级"), null=True, blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    note = PersonalDataField(
        _("说明（敏感）"), max_length=500, blank=True, kind=Kind.TEXT, capability="residents.reveal_notes"
    )
    note_hash = SearchHashField(of="note")
    version = models.PositiveIntegerField(default=1)

    objects = CareTagQuerySet.as_manager()

    class Meta:
        verbose_name = _("关爱对象标签")
        verbose_name_plural = _("关爱对象标签")
        ordering = ["person_id", "kind", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="residents_caretag_dates",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="local", local_kind__isnull=False)
                | (~models.Q(kind="local") & models.Q(local_kind__isnull=True)),
                name="residents_caretag_local",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.label}"

    @property
    def label(self) -> str:
        if self.local_kind_id is not None and self.local_kind is not None:
            return self.local_kind.label
        label = str(self.get_kind_display())
        if self.disability_grade:
            label = f"{label}（{self.disability_grade}）"
        return label
