"""Member units of the regional party-building alliance and the welfare projects they claim
(公益项目认领, seed 004): the street publishes a need with what it asks (money, volunteers,
materials, with quantities); member units claim all or part of an ask until it is covered;
the street confirms each claim, records its delivery with evidence, and closes it."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.geo.models import Area

from ..choices import AskKind, ClaimStatus, MemberKind, WelfareStatus
from ..querysets import MemberUnitQuerySet, WelfareQuerySet
from .projects import NOT_NEGATIVE, POSITIVE


class MemberUnit(AuditedModel):
    """A member unit (成员单位: a company, school, hospital, property firm…) and the streets it
    serves. The contact's phone is personal data (revealed to programmes.reveal_contact)."""

    name = models.CharField(_("单位名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=MemberKind.choices)
    streets = models.ManyToManyField(Area, verbose_name=_("结对街道"), related_name="+")
    # The street that registered it (its audit trail's street).
    street = models.ForeignKey(Area, verbose_name=_("登记街道"), on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("地址"), max_length=120, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = PersonalDataField(
        _("联系电话"), max_length=30, blank=True, kind=Kind.PHONE, capability="programmes.reveal_contact"
    )
    contact_phone_hash = SearchHashField(of="contact_phone")
    note = models.TextField(_("备注"), blank=True)
    active = models.BooleanField(_("有效"), default=True)
    version = models.PositiveIntegerField(default=1)

    objects = MemberUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("成员单位")
        verbose_name_plural = _("成员单位")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("programmes:member", args=[self.pk])


class WelfareProject(AuditedModel):
    """A welfare project the street publishes for member units to claim."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("项目名称"), max_length=120)
    need = models.TextField(_("需求说明"))
    place = models.CharField(_("实施地点"), max_length=120, blank=True)
    area = models.ForeignKey(
        Area, verbose_name=_("居民区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    beneficiaries = models.CharField(_("受益对象"), max_length=120, blank=True)
    beneficiary_count = models.PositiveIntegerField(_("受益人数"), null=True, blank=True)
    deadline = models.DateField(_("认领截止日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=WelfareStatus.choices, default=WelfareStatus.DRAFT
    )
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = WelfareQuerySet.as_manager()

    class Meta:
        verbose_name = _("公益项目")
        verbose_name_plural = _("公益项目")
        ordering = ["-year", "street_id", "-id"]
        indexes = [models.Index(fields=["street", "year", "status"], name="programmes_welfare_year")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programmes:welfare", args=[self.pk])


class Ask(AuditedModel):
    """What a welfare project asks for (资金 20000 元, 志愿者 30 人次, 冬衣 200 件). `claimed`
    is the sum of its live claims (choices.LIVE_CLAIMS), kept by the claim actions under
    this row's lock, so it never exceeds `quantity`; `delivered` the sum delivered."""

    project = models.ForeignKey(WelfareProject, on_delete=models.CASCADE, related_name="asks")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("需求类型"), max_length=12, choices=AskKind.choices)
    item = models.CharField(_("需求内容"), max_length=60)
    unit = models.CharField(_("计量单位"), max_length=12)
    quantity = models.DecimalField(_("需求数量"), max_digits=12, decimal_places=2, validators=[POSITIVE])
    claimed = models.DecimalField(_("已认领"), max_digits=12, decimal_places=2, default=Decimal("0"))
    delivered = models.DecimalField(_("已交付"), max_digits=12, decimal_places=2, default=Decimal("0"))
    order = models.PositiveSmallIntegerField(default=0)

    objects = WelfareQuerySet.as_manager()

    class Meta:
        verbose_name = _("认领需求")
        verbose_name_plural = _("认领需求")
        ordering = ["project_id", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(claimed__lte=models.F("quantity")), name="programmes_ask_not_overclaimed"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.quantity.normalize():f}{self.unit}"

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.claimed


class Claim(AuditedModel):
    """A member unit's claim (认领) on all or part of an ask; its machine is
    `programmes.claims`. `number` is the claim confirmation's (认领确认书) number, given when the
    street confirms it."""

    ask = models.ForeignKey(Ask, verbose_name=_("认领需求"), on_delete=models.PROTECT, related_name="claims")
    project = models.ForeignKey(WelfareProject, on_delete=models.PROTECT, related_name="claims")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        MemberUnit, verbose_name=_("成员单位"), on_delete=models.PROTECT, related_name="claims"
    )
    quantity = models.DecimalField(_("认领数量"), max_digits=12, decimal_places=2, validators=[POSITIVE])
    delivered_quantity = models.DecimalField(
        _("实际交付"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[NOT_NEGATIVE]
    )
    note = models.TextField(_("说明"), blank=True)
    number = models.CharField(_("确认书编号"), max_length=24, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.CLAIMED
    )
    claimed_on = models.DateField(_("认领日期"))
    confirmed_on = models.DateField(_("确认日期"), null=True, blank=True)
    delivered_on = models.DateField(_("交付日期"), null=True, blank=True)
    closed_on = models.DateField(_("结项日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = WelfareQuerySet.as_manager()

    class Meta:
        verbose_name = _("认领")
        verbose_name_plural = _("认领")
        ordering = ["project_id", "id"]
        indexes = [models.Index(fields=["member", "claimed_on"], name="programmes_claim_member")]

    def __str__(self) -> str:
        return f"{self.member} · {self.ask}"

    def get_absolute_url(self) -> str:
        return reverse("programmes:claim", args=[self.pk])


class ClaimSequence(models.Model):
    """The claim confirmations' numbers per street and year (core.numbering)."""

    street = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["street", "year"], name="programmes_claimseq_once")]

    def __str__(self) -> str:
        return f"{self.street_id}/{self.year}: {self.last}"
