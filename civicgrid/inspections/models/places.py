"""Places under supervision (重点场所): a firm, a site, a basement, a shop, a group-rented flat…"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.geo.models import Area, Building
from civicgrid.orgs.models import Unit

from ..choices import PlaceKind, RiskLevel
from ..querysets import PlaceQuerySet


class Place(AuditedModel):
    """One place and who answers for it. `grid` is where it lies (from its building, flat or
    position), the path every area-bound role's scope follows. `unit` is the unit that answers
    for the place when it has accounts here (a property firm, a market): its people are the
    place's own contacts, from whom unannounced inspections are hidden (四不两直)."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(
        Area, verbose_name=_("网格"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("场所类型"), max_length=16, choices=PlaceKind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    flat = models.ForeignKey(
        "residents.Flat",
        verbose_name=_("房屋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    area_m2 = models.DecimalField(_("面积（平方米）"), max_digits=10, decimal_places=2, null=True, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responsible_name = models.CharField(_("责任人"), max_length=50, blank=True)
    responsible_phone = PersonalDataField(
        _("责任人电话"), max_length=30, blank=True, kind=Kind.PHONE, capability="inspections.reveal_contact"
    )
    responsible_phone_hash = SearchHashField(of="responsible_phone")
    risk = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    active = models.BooleanField(_("在管"), default=True)
    version = models.PositiveIntegerField(default=1)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("检查场所")
        verbose_name_plural = _("检查场所")
        ordering = ["street_id", "kind", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inspections:place", args=[self.pk])
