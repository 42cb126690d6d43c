"""Rectification orders (限期整改通知): a machine on the kernel (inspections.workflow)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import DeadlineUnit, Escalation, OrderStatus, Severity
from ..querysets import OrderQuerySet


class OrderSequence(models.Model):
    """The last order number used per street and year; locked while an order is numbered."""

    street = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["street", "year"], name="inspections_ordersequence_street_year")
        ]

    def __str__(self) -> str:
        return f"{self.street_id}/{self.year}: {self.last}"


class Order(AuditedModel):
    """One finding to put right by a deadline: what is wrong (`finding`, the failed item's
    `rule`), what must be done and shown (`requirement`, `evidence_required`), by whom
    (`responsible`, the party's name as printed) and by when (`due_at`, from the severity's
    default in the street profile or as the inspector set it). An overdue order is supervised,
    then escalated a level (`escalation`); what the street cannot solve is reported upward
    with its reason. `case` is the work-order case opened when another unit must act."""

    number = models.CharField(_("通知书编号"), max_length=32, unique=True)
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(
        "inspections.Place", verbose_name=_("场所"), on_delete=models.PROTECT, related_name="orders"
    )
    inspection = models.ForeignKey(
        "inspections.Inspection",
        verbose_name=_("检查记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    result = models.ForeignKey(
        "inspections.ItemResult",
        verbose_name=_("不合格项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    severity = models.CharField(
        _("严重程度"), max_length=8, choices=Severity.choices, default=Severity.GENERAL
    )
    finding = models.TextField(_("存在问题"))
    rule = models.CharField(_("依据"), max_length=200, blank=True)
    requirement = models.TextField(_("整改要求"), blank=True)
    evidence_required = models.CharField(_("需提交的整改佐证"), max_length=200, blank=True)
    responsible = models.CharField(_("整改责任方"), max_length=100)
    deadline_amount = models.PositiveSmallIntegerField(_("整改期限"))
    deadline_unit = models.CharField(
        _("期限单位"), max_length=16, choices=DeadlineUnit.choices, default=DeadlineUnit.WORKING_DAYS
    )
    issued_at = models.DateTimeField(_("下达时间"))
    due_at = models.DateTimeField(_("整改期限至"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.ISSUED
    )
    is_overdue = models.BooleanField(_("逾期"), default=False)
    overdue_at = models.DateTimeField(_("逾期时间"), null=True, blank=True)
    escalation = models.CharField(
        _("督办"), max_length=16, choices=Escalation.choices, default=Escalation.NONE
    )
    reported_reason = models.TextField(_("上报原因"), blank=True)
    reported_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    rechecks = models.PositiveSmallIntegerField(_("复查次数"), default=0)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下达人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("整改通知")
        verbose_name_plural = _("整改通知")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("inspections:order", args=[self.number])
