"""The register (选民登记) of an election and what is filed against it: residents' groups and
their representatives, voters, objections (申诉), proxy authorisations (委托投票) and the letters
and notices sent with their receipts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.fields import ClockDateTimeField
from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import Basis, MailingKind, ObjectionKind, ObjectionStatus, VoterSource, VoterStatus
from ..querysets import ElectionPartQuerySet


class ResidentsGroup(AuditedModel):
    """A residents' group (居民小组) of the committee's area, divided for this election; its
    representatives are voters flagged `is_group_rep`."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="groups")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField(_("组号"))
    name = models.CharField(_("名称"), max_length=60, blank=True)
    buildings = models.CharField(_("范围（楼栋）"), max_length=500, blank=True)

    objects = ElectionPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("居民小组")
        verbose_name_plural = _("居民小组")
        ordering = ["election_id", "number"]
        constraints = [models.UniqueConstraint(fields=["election", "number"], name="elections_group_number")]

    def __str__(self) -> str:
        return self.name or _("第%d居民小组") % self.number


class Voter(AuditedModel):
    """A person on the register. Built from the residents registry (`person`, age on election
    day, residence status) or added by the election committee; name, sex and birth date are
    copied so the register stands as published even if the registry changes later."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="voters")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "residents.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    household = models.ForeignKey(
        "residents.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.ForeignKey(
        ResidentsGroup,
        verbose_name=_("居民小组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="voters",
    )
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    basis = models.CharField(_("登记依据"), max_length=16, choices=Basis.choices, default=Basis.REGISTERED)
    source = models.CharField(
        _("来源"), max_length=16, choices=VoterSource.choices, default=VoterSource.REGISTRY
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=VoterStatus.choices, default=VoterStatus.LISTED
    )
    struck_reason = models.CharField(_("除名原因"), max_length=200, blank=True)
    is_household_rep = models.BooleanField(_("户代表"), default=False)
    is_group_rep = models.BooleanField(_("居民代表"), default=False)
    version = models.PositiveIntegerField(default=1)

    objects = ElectionPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("选民")
        verbose_name_plural = _("选民")
        ordering = ["election_id", "group_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "person"],
                condition=models.Q(person__isnull=False),
                name="elections_voter_person",
            )
        ]
        indexes = [models.Index(fields=["election", "status"], name="elections_voter_status")]

    def __str__(self) -> str:
        return self.name


class Objection(AuditedModel):
    """An objection to the published list (申诉): filed within the rule's days of publication,
    decided within the rule's days of filing, on the machine `elections.objections`."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="objections")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("申诉类型"), max_length=16, choices=ObjectionKind.choices)
    filed_on = models.DateField(_("申诉日期"))
    filer_name = models.CharField(_("申诉人"), max_length=50)
    subject_name = models.CharField(_("所涉人员"), max_length=50)
    subject_person = models.ForeignKey(
        "residents.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_voter = models.ForeignKey(
        Voter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    statement = models.TextField(_("申诉理由"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.PENDING
    )
    decided_on = models.DateField(_("处理日期"), null=True, blank=True)
    decision = models.TextField(_("处理意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = ElectionPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("选民名单申诉")
        verbose_name_plural = _("选民名单申诉")
        ordering = ["election_id", "filed_on", "id"]


class Proxy(AuditedModel):
    """A written authorisation (委托书) for one voter to vote for another; a voter gives one,
    and accepts at most the rule's `proxy_limit`."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="proxies")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    principal = models.ForeignKey(Voter, verbose_name=_("委托人"), on_delete=models.CASCADE, related_name="+")
    proxy = models.ForeignKey(Voter, verbose_name=_("受委托人"), on_delete=models.CASCADE, related_name="+")
    authorised_on = models.DateField(_("委托日期"))
    document = models.CharField(_("委托书编号"), max_length=40)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ElectionPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("委托投票")
        verbose_name_plural = _("委托投票")
        constraints = [
            models.UniqueConstraint(fields=["election", "principal"], name="elections_proxy_principal")
        ]


class Mailing(AuditedModel):
    """A batch of letters (告居民书) or notices with receipts (选举通知书和回执) sent, and how
    many receipts came back."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="mailings")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类别"), max_length=8, choices=MailingKind.choices)
    sent_on = models.DateField(_("发放日期"))
    sent = models.PositiveIntegerField(_("发放份数"))
    receipts = models.PositiveIntegerField(_("收回回执"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = ClockDateTimeField(auto_now_add=True)

    objects = ElectionPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("告居民书与选举通知书")
        verbose_name_plural = _("告居民书与选举通知书")
        ordering = ["election_id", "sent_on", "id"]
