"""Group renting (群租, seed 004): the register from complaint to closure, and the
door-to-door sweep (逐楼、逐层、逐户) that measures coverage floor by floor."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.core.fields import ClockDateTimeField
from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import FlatFinding, RentStatus
from ..querysets import FlatCheckQuerySet, RentEntryQuerySet


class RentEntry(AuditedModel):
    """One group-rented flat in the register: found (often from a complaint `case`), confirmed
    by a joint inspection, put right (partitions removed, tenants informed), then re-checked on
    a schedule until `clean_checks` clean checks in a row (the street's setting) close it
    ("发现一户整治一户"). The flat's Place (kind group_rent) carries its history."""

    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(
        "inspections.Place", verbose_name=_("场所"), on_delete=models.PROTECT, related_name="rent_entries"
    )
    flat = models.ForeignKey(
        "residents.Flat", verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("来源工单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=RentStatus.choices, default=RentStatus.REPORTED
    )
    clue = models.TextField(_("线索"), blank=True)
    partitions_removed = models.PositiveSmallIntegerField(_("拆除隔断（处）"), default=0)
    tenants = models.PositiveSmallIntegerField(_("租住人数"), default=0)
    tenants_informed = models.BooleanField(_("已告知租客"), default=False)
    joint_with = models.CharField(_("联合检查单位"), max_length=200, blank=True)
    clean_checks = models.PositiveSmallIntegerField(_("连续无反弹复查次数"), default=0)
    last_checked_on = models.DateField(_("最近复查"), null=True, blank=True)
    next_check_on = models.DateField(_("下次复查"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = RentEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("群租登记")
        verbose_name_plural = _("群租登记")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return gettext("群租 %(flat)s") % {"flat": self.flat}

    def get_absolute_url(self) -> str:
        return reverse("inspections:rent_entry", args=[self.pk])


class FlatCheck(models.Model):
    """One flat looked at in a sweep: the finding, by whom and when. Coverage is read from these
    (flats checked / flats of the building, floors checked / floors)."""

    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    flat = models.ForeignKey(
        "residents.Flat", verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="+"
    )
    checked_on = models.DateField(_("检查日期"), db_index=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    finding = models.CharField(_("检查结果"), max_length=16, choices=FlatFinding.choices)
    task = models.ForeignKey(
        "inspections.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="flat_checks"
    )
    entry = models.ForeignKey(
        RentEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="flat_checks"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)

    objects = FlatCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("入户检查")
        verbose_name_plural = _("入户检查")
        ordering = ["-checked_on", "-id"]

    def __str__(self) -> str:
        return f"{self.flat_id} {self.checked_on}: {self.finding}"
