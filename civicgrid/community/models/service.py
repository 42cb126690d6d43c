"""The service centre (社区事务受理服务中心, seeds 002–003): its catalogue of service items, each
with an A and a B responsible (AB角: when A is on leave the request goes to B, and the page
says so, so no resident is turned away), the windows, staff leave, appointment slots and the
queue, and 上门办 — a service brought to the home of someone who cannot come."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.fields import ClockDateTimeField
from civicgrid.core.models import AuditedModel
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.geo.models import Area

from ..choices import (
    AppointmentStatus,
    ContactChannel,
    HomeServiceReason,
    HomeServiceStatus,
    LeaveKind,
    Responsible,
    ServiceCategory,
)
from ..querysets import AppointmentQuerySet, HomeServiceQuerySet, LeaveQuerySet, ServiceQuerySet
from .activities import AT_LEAST_ONE, REVEAL


class ServiceCentre(AuditedModel):
    """A street's service centre. `duty_officer` takes what neither A nor B can (both away)."""

    street = models.OneToOneField(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=80)
    address = models.CharField(_("地址"), max_length=120, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=30, blank=True)
    opens = models.TimeField(_("上午开始办理"))
    closes = models.TimeField(_("下午停止办理"))
    duty_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("值班负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区事务受理服务中心")
        verbose_name_plural = _("社区事务受理服务中心")

    def __str__(self) -> str:
        return self.name


class Window(AuditedModel):
    centre = models.ForeignKey(ServiceCentre, on_delete=models.CASCADE, related_name="windows")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField(_("窗口号"))
    name = models.CharField(_("窗口名称"), max_length=40)
    active = models.BooleanField(_("开放"), default=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["street_id", "number"]
        constraints = [models.UniqueConstraint(fields=["centre", "number"], name="community_window_number")]

    def __str__(self) -> str:
        return f"{self.number}号 {self.name}"


class ServiceItem(AuditedModel):
    """An item of the catalogue: what it is, the documents to bring, the time limit in working
    days (0: done on the spot), its window and its A and B responsibles."""

    centre = models.ForeignKey(ServiceCentre, on_delete=models.CASCADE, related_name="items")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("事项编码"), max_length=20)
    name = models.CharField(_("事项名称"), max_length=80)
    category = models.CharField(_("类别"), max_length=16, choices=ServiceCategory.choices)
    description = models.TextField(_("办理说明"), blank=True)
    # One document per line (身份证原件 / 户口簿…).
    documents = models.TextField(_("所需材料"), blank=True)
    time_limit_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"), default=0)
    window = models.ForeignKey(
        Window,
        verbose_name=_("受理窗口"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
    )
    a_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("A角"), on_delete=models.PROTECT, related_name="+"
    )
    b_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("B角"), on_delete=models.PROTECT, related_name="+"
    )
    bookable = models.BooleanField(_("可预约"), default=True)
    per_slot = models.PositiveSmallIntegerField(_("每时段可约人数"), default=1, validators=[AT_LEAST_ONE])
    home_service = models.BooleanField(_("可上门办理"), default=False)
    active = models.BooleanField(_("在办"), default=True)
    version = models.PositiveIntegerField(default=1)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务事项")
        verbose_name_plural = _("服务事项")
        ordering = ["street_id", "category", "code"]
        constraints = [
            models.UniqueConstraint(fields=["street", "code"], name="community_item_code"),
            models.CheckConstraint(
                condition=~Q(a_staff=models.F("b_staff")), name="community_item_ab_differ"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community:item", args=[self.pk])

    @property
    def document_list(self) -> list[str]:
        return [line.strip() for line in self.documents.splitlines() if line.strip()]


class StaffLeave(AuditedModel):
    """A member of staff away (leave, training, out on business) from `starts_at` to `ends_at`.
    Cancelled leave stays in the record (`cancelled_at`)."""

    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=LeaveKind.choices)
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    note = models.CharField(_("说明"), max_length=120, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = LeaveQuerySet.as_manager()

    class Meta:
        verbose_name = _("请假与外出")
        verbose_name_plural = _("请假与外出")
        ordering = ["-starts_at", "id"]
        indexes = [models.Index(fields=["user", "starts_at"], name="community_leave_user")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="community_leave_order"
            )
        ]


class ServiceSlot(models.Model):
    """An appointment time of an item: `booked` of `capacity` taken. A booking raises
    `booked` with one conditional UPDATE (`booked < capacity`), so of two concurrent bookings
    of the last place exactly one wins, on SQLite as on PostgreSQL."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="slots")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("时段开始"))
    ends_at = models.DateTimeField(_("时段结束"))
    capacity = models.PositiveSmallIntegerField(_("可约人数"), validators=[AT_LEAST_ONE])
    booked = models.PositiveSmallIntegerField(_("已约"), default=0)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        ordering = ["item_id", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["item", "starts_at"], name="community_slot_unique"),
            models.CheckConstraint(condition=Q(booked__lte=models.F("capacity")), name="community_slot_full"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.starts_at:%Y-%m-%d %H:%M}"


class Appointment(AuditedModel):
    """A resident's visit to the centre: booked for a slot (or a walk-in, no slot), then a
    queue ticket on arrival, called to a window, done. `responsible` and `handled_by` say
    whom the AB routing gave it to when it was booked or taken (B when A was away)."""

    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("服务事项"), on_delete=models.PROTECT, related_name="+"
    )
    slot = models.ForeignKey(
        ServiceSlot,
        verbose_name=_("预约时段"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ticket = models.CharField(_("排队号"), max_length=12, blank=True)
    channel = models.CharField(
        _("预约方式"), max_length=8, choices=ContactChannel.choices, default=ContactChannel.WEB
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey(
        "residents.Person",
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = PersonalDataField(_("联系电话"), max_length=30, blank=True, kind=Kind.PHONE, capability=REVEAL)
    phone_hash = SearchHashField(of="phone")
    status = models.CharField(
        _("状态"), max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    responsible = models.CharField(_("办理人角色"), max_length=4, choices=Responsible.choices)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    arrived_at = models.DateTimeField(_("取号时间"), null=True, blank=True)
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("预约与排队")
        verbose_name_plural = _("预约与排队")
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["street", "arrived_at"], name="community_appointment_queue")]

    def __str__(self) -> str:
        return f"{self.item} · {self.ticket or self.name}"

    def get_absolute_url(self) -> str:
        return reverse("community:appointment", args=[self.pk])


class HomeService(AuditedModel):
    """上门办: a service done at home for someone who cannot come (an elderly person living
    alone, someone bedridden), asked by the resident or by a cadre for them. It becomes a
    task of the staff the AB routing gives it to, with a visit time, done on a phone form."""

    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(
        Area, verbose_name=_("居民区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("编号"), max_length=20)
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("服务事项"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "residents.Person",
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = PersonalDataField(_("联系电话"), max_length=30, blank=True, kind=Kind.PHONE, capability=REVEAL)
    phone_hash = SearchHashField(of="phone")
    address = PersonalDataField(_("上门地址"), max_length=200, kind=Kind.TEXT, capability=REVEAL)
    address_hash = SearchHashField(of="address")
    reason = models.CharField(_("上门原因"), max_length=16, choices=HomeServiceReason.choices)
    need = models.CharField(_("需求说明"), max_length=300, blank=True)
    # A cadre (or the desk) asked for the resident; blank `requested_by`: the resident did.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=HomeServiceStatus.choices, default=HomeServiceStatus.REQUESTED
    )
    responsible = models.CharField(_("办理人角色"), max_length=4, choices=Responsible.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上门人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visit_at = models.DateTimeField(_("上门时间"), null=True, blank=True)
    due_on = models.DateField(_("办理期限"))
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    outcome = models.TextField(_("办理结果"), blank=True)
    requested_at = ClockDateTimeField(_("申请时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = HomeServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("上门办")
        verbose_name_plural = _("上门办")
        ordering = ["-requested_at", "id"]
        constraints = [models.UniqueConstraint(fields=["street", "number"], name="community_home_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.item}"

    def get_absolute_url(self) -> str:
        return reverse("community:home_service", args=[self.pk])
