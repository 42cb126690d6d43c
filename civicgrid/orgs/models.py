from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core.models import AuditedModel
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .choices import UnitKind
from .querysets import UnitQuerySet


class Unit(AuditedModel):
    """A handling unit (处置单位): a street office, a police station, a property company…

    A unit of one street has `street`; a district-level unit (a utility company serving
    several streets) has only `district`. Jurisdiction areas say where it handles matters.
    """

    kind = models.CharField(_("类型"), max_length=32, choices=UnitKind.choices, db_index=True)
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    district = models.ForeignKey(
        Area,
        verbose_name=_("所属区"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": AreaKind.DISTRICT},
    )
    street = models.ForeignKey(
        Area,
        verbose_name=_("所属街道"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
        limit_choices_to={"kind": AreaKind.STREET},
        help_text=_("留空表示区级单位（服务多个街道）"),
    )
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = PersonalDataField(
        _("联系电话"), max_length=30, blank=True, kind=Kind.PHONE, capability="orgs.reveal_phone"
    )
    phone_hash = SearchHashField(of="phone")
    address = models.CharField(_("地址"), max_length=200, blank=True)
    jurisdiction = models.ManyToManyField(
        Area, verbose_name=_("管辖区域"), blank=True, related_name="jurisdiction_units"
    )
    is_active = models.BooleanField(_("在用"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("singular", "处置单位")
        verbose_name_plural = _("处置单位")
        ordering = ["street__code", "kind", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("orgs:unit", args=[self.pk])

    def clean(self) -> None:
        if self.street_id and self.district_id and self.street.parent_id != self.district_id:  # type: ignore[union-attr]
            raise ValidationError({"street": "所属街道不在所属区内"})
