"""实有房屋: the flats of a building and the households living in them."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.geo.models import Area, Building

from ..choices import FlatUse, Tenure
from ..querysets import FlatQuerySet, HouseholdQuerySet


class Flat(AuditedModel):
    """One flat (室) of a building: its room number, use and owner. `street` is the building's,
    denormalised so street-wide lists and counts need no join."""

    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="flats"
    )
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    room = models.CharField(_("室号"), max_length=32)
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    use = models.CharField(_("房屋用途"), max_length=16, choices=FlatUse.choices, default=FlatUse.OWNER)
    area_m2 = models.DecimalField(
        _("建筑面积（平方米）"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    # The owner need not live here (a flat let out): a name and a phone, not a Person.
    owner_name = models.CharField(_("产权人"), max_length=50, blank=True)
    owner_phone = PersonalDataField(
        _("产权人电话"), max_length=30, blank=True, kind=Kind.PHONE, capability="residents.reveal_phone"
    )
    owner_phone_hash = SearchHashField(of="owner_phone")
    note = models.CharField(_("备注"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = FlatQuerySet.as_manager()

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["building_id", "floor", "room"]
        constraints = [models.UniqueConstraint(fields=["building", "room"], name="residents_flat_room")]

    def __str__(self) -> str:
        return gettext("%(building)s %(room)s室") % {"building": self.building.address, "room": self.room}

    def get_absolute_url(self) -> str:
        return reverse("residents:flat", args=[self.pk])


class Household(AuditedModel):
    """A household living in a flat: a head, members (Person.household) and how it holds the
    flat. A household that left keeps its row with `moved_out` (the history)."""

    flat = models.ForeignKey(
        Flat, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="households"
    )
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    tenure = models.CharField(_("居住方式"), max_length=16, choices=Tenure.choices, default=Tenure.OWNER)
    head = models.ForeignKey(
        "residents.Person",
        verbose_name=_("户主"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moved_in = models.DateField(_("迁入日期"), null=True, blank=True)
    moved_out = models.DateField(_("迁出日期"), null=True, blank=True, db_index=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = _("住户")
        ordering = ["flat_id", "id"]

    def __str__(self) -> str:
        return gettext("%(flat)s（住户 %(id)s）") % {"flat": self.flat, "id": self.pk}

    @property
    def is_current(self) -> bool:
        return self.moved_out is None

    def get_absolute_url(self) -> str:
        return reverse("residents:household", args=[self.pk])
