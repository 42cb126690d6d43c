"""Checklists per place type, versioned: an edit writes the next revision and keeps the old
one, so every inspection keeps the items it was recorded against."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import HazardSource, PlaceKind, Severity
from ..querysets import ChecklistQuerySet


class Checklist(AuditedModel):
    """One revision of a street's checklist for a kind of place. Exactly one revision per street
    and kind is `current`; the first is copied from the shipped defaults (inspections.defaults)."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    place_kind = models.CharField(_("场所类型"), max_length=16, choices=PlaceKind.choices)
    revision = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("名称"), max_length=100)
    current = models.BooleanField(_("现行版本"), default=True)
    change_note = models.CharField(_("修订说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ChecklistQuerySet.as_manager()

    class Meta:
        verbose_name = _("检查表")
        verbose_name_plural = _("检查表")
        ordering = ["street_id", "place_kind", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "place_kind", "revision"], name="inspections_checklist_revision"
            ),
            models.UniqueConstraint(
                fields=["street", "place_kind"],
                condition=Q(current=True),
                name="inspections_checklist_current",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(title)s（第 %(revision)s 版）") % {"title": self.title, "revision": self.revision}

    def get_absolute_url(self) -> str:
        return reverse("inspections:checklist", args=[self.pk])


class ChecklistItem(models.Model):
    """One item of a revision. `code` stays the same across revisions (a reworded item is the
    same item), so results can be compared from one revision to the next."""

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("序号"))
    code = models.CharField(_("编码"), max_length=16)
    text = models.CharField(_("检查内容"), max_length=300)
    severity = models.CharField(
        _("严重程度"), max_length=8, choices=Severity.choices, default=Severity.GENERAL
    )
    rule = models.CharField(_("依据"), max_length=200, blank=True)
    hazard = models.CharField(_("隐患源"), max_length=24, choices=HazardSource.choices, blank=True)

    class Meta:
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")
        ordering = ["checklist_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["checklist", "code"], name="inspections_item_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"
