"""The device register: device types (the five shipped, more as rows), devices with what they
watch (a building, a flat, a household, a person, or a place), and their readings, stored
compactly: one narrow row per reading, unique per device and idempotency key."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area, Building

from ..querysets import DeviceQuerySet, DeviceTypeQuerySet, ReadingQuerySet


class DeviceType(AuditedModel):
    """A kind of device and its rules: when a reading or event is an alarm, whether its readings
    are use (a water meter: no use for hours at a watched flat is a care alert), how long it may
    be silent, and the case an alarm opens."""

    code = models.SlugField(_("类型代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    metric = models.CharField(_("读数"), max_length=40, help_text=_("例如：用水量、温度、倾角、水位"))
    unit = models.CharField(_("单位"), max_length=16, blank=True)
    # A reading above this is an alarm (None: readings never are).
    alarm_above = models.FloatField(_("报警阈值（高于）"), null=True, blank=True)
    # Events that are alarms ("smoke", "open") and that clear them ("clear", "closed").
    alarm_events = models.JSONField(_("报警事件"), default=list, blank=True)
    clear_events = models.JSONField(_("解除事件"), default=list, blank=True)
    # Readings are use (litres since the last reading): the no-use rule watches them.
    watches_use = models.BooleanField(_("读数为用量（适用无用水规则）"), default=False)
    offline_minutes = models.PositiveIntegerField(_("离线判定（分钟无上报）"), default=1440)
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("报警工单类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    urgency = models.CharField(_("报警工单紧急程度"), max_length=16, default="urgent")
    active = models.BooleanField(_("启用"), default=True)

    objects = DeviceTypeQuerySet.as_manager()

    class Meta:
        verbose_name = _("设备类型")
        verbose_name_plural = _("设备类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def audit_street_id(self) -> int | None:
        return None


class Device(AuditedModel):
    type = models.ForeignKey(
        DeviceType, verbose_name=_("类型"), on_delete=models.PROTECT, related_name="devices"
    )
    vendor_id = models.CharField(_("设备编号"), max_length=64)
    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    # The residential area (or grid) it is in; None: street-wide (a road's manhole cover).
    area = models.ForeignKey(
        Area, verbose_name=_("所在区域"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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
    household = models.ForeignKey(
        "residents.Household",
        verbose_name=_("住户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The person it watches over (an elderly person living alone).
    person = models.ForeignKey(
        "residents.Person",
        verbose_name=_("关爱对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    place = models.CharField(_("位置说明"), max_length=120, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    installed_on = models.DateField(_("安装日期"), null=True, blank=True)
    active = models.BooleanField(_("在用"), default=True)
    # Not indexed: the sweep reads a street's devices whole, and an index here would stop
    # PostgreSQL updating the row in place (HOT) on every batch of readings.
    last_seen_at = models.DateTimeField(_("最近上报"), null=True, blank=True)
    last_value = models.FloatField(_("最近读数"), null=True, blank=True)
    # The last reading that was use (watches_use types): what the no-use rule measures from.
    last_use_at = models.DateTimeField(_("最近用水"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    # Reading bookkeeping is not an audited change of the register.
    audit_exclude = ("created_at", "updated_at", "last_seen_at", "last_value", "last_use_at", "version")

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("物联设备")
        verbose_name_plural = _("物联设备")
        ordering = ["street_id", "type_id", "vendor_id"]
        constraints = [models.UniqueConstraint(fields=["type", "vendor_id"], name="sensors_device_vendor_id")]

    def __str__(self) -> str:
        return f"{self.type} {self.vendor_id}"

    def get_absolute_url(self) -> str:
        return reverse("sensors:device", args=[self.pk])

    @property
    def where(self) -> str:
        if self.flat_id:
            return str(self.flat)
        if self.building_id:
            return self.building.address  # type: ignore[union-attr]
        return self.place


class Reading(models.Model):
    """One reading or event of a device. `key` is the message's idempotency key (its id, else
    its time): a message delivered twice (QoS 1, a gateway's retry) is stored once."""

    id = models.BigAutoField(primary_key=True)
    # No index of its own: the two below begin with the device (one fewer to write per reading).
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="readings", db_index=False)
    at = models.DateTimeField()
    value = models.FloatField(null=True)
    event = models.CharField(max_length=16, blank=True)
    key = models.CharField(max_length=64)

    objects = ReadingQuerySet.as_manager()

    class Meta:
        verbose_name = _("设备读数")
        verbose_name_plural = _("设备读数")
        constraints = [models.UniqueConstraint(fields=["device", "key"], name="sensors_reading_once")]
        indexes = [models.Index(fields=["device", "-at"], name="sensors_reading_latest")]

    def __str__(self) -> str:
        what = self.event if self.value is None else self.value
        return f"{self.device_id} {self.at:%Y-%m-%d %H:%M:%S} {what}"
