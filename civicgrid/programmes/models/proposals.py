"""The street's representatives' meeting (居民代表会议 / 社区代表大会, seed 003): its sessions,
the representatives, the proposals they file with co-signers (代表提案) — accepted, merged or
declined by the desk, assigned to an office or unit with a deadline, answered and rated by the
proposer — and the democratic evaluation (民主测评) of offices and units by anonymous ballot."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import (
    BallotSource,
    EvaluationStatus,
    Mark,
    ProjectCategory,
    ProposalStatus,
    Rating,
    SessionKind,
)
from ..querysets import EvaluationPartQuerySet, ProposalQuerySet, SessionQuerySet


class Session(AuditedModel):
    """One meeting of the street's representatives (第三届居民代表会议第二次会议)."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("会议类型"), max_length=12, choices=SessionKind.choices)
    title = models.CharField(_("会议名称"), max_length=120)
    held_on = models.DateField(_("会议日期"))
    # Proposals are filed until this day (empty: while the session is the latest).
    proposals_until = models.DateField(_("提案截止日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("代表会议")
        verbose_name_plural = _("代表会议")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programmes:session", args=[self.pk])


class Representative(AuditedModel):
    """A representative of the street's meeting, linked to the residents registry where they
    are a registered person."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名"), max_length=40)
    person = models.ForeignKey(
        "residents.Person",
        verbose_name=_("对应实有人口"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The residential area (committee) or body they represent.
    area = models.ForeignKey(
        Area, verbose_name=_("所在居民区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    affiliation = models.CharField(_("界别/单位"), max_length=60, blank=True)
    term_from = models.DateField(_("任期开始"))
    term_to = models.DateField(_("任期结束"), null=True, blank=True)
    active = models.BooleanField(_("在任"), default=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("代表")
        verbose_name_plural = _("代表")
        ordering = ["street_id", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Proposal(AuditedModel):
    """A representative's proposal at a session; its machine is `programmes.proposals`.
    `number` counts the session's proposals from 1 (the answer sheet's 第 n 号)."""

    session = models.ForeignKey(
        Session, verbose_name=_("会议"), on_delete=models.PROTECT, related_name="proposals"
    )
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("提案号"))
    title = models.CharField(_("案由"), max_length=120)
    body = models.TextField(_("提案内容"))
    category = models.CharField(_("类别"), max_length=16, choices=ProjectCategory.choices)
    proposer = models.ForeignKey(
        Representative, verbose_name=_("提案人"), on_delete=models.PROTECT, related_name="proposals"
    )
    cosigners = models.ManyToManyField(Representative, verbose_name=_("附议人"), blank=True, related_name="+")
    status = models.CharField(
        _("状态"), max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.FILED
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("并入"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    decline_reason = models.TextField(_("不予立案理由"), blank=True)
    assigned_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_office = models.CharField(_("承办科室"), max_length=60, blank=True)
    assigned_on = models.DateField(_("交办日期"), null=True, blank=True)
    deadline = models.DateField(_("答复期限"), null=True, blank=True)
    answer = models.TextField(_("答复意见"), blank=True)
    answered_on = models.DateField(_("答复日期"), null=True, blank=True)
    rating = models.CharField(_("提案人评价"), max_length=12, choices=Rating.choices, blank=True)
    rating_note = models.TextField(_("评价意见"), blank=True)
    rated_on = models.DateField(_("评价日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("代表提案")
        verbose_name_plural = _("代表提案")
        ordering = ["session_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="programmes_proposal_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("programmes:proposal", args=[self.pk])

    @property
    def assignee_name(self) -> str:
        return (
            self.assigned_unit.name if self.assigned_unit_id and self.assigned_unit else self.assigned_office
        )


class Evaluation(AuditedModel):
    """A democratic evaluation (民主测评) at a session: the representatives mark each subject
    (an office or unit) 满意/基本满意/不满意/不了解 on an anonymous ballot. Its machine is
    `programmes.evaluations`; `result` is the tally stored when it closes."""

    session = models.ForeignKey(
        Session, verbose_name=_("会议"), on_delete=models.PROTECT, related_name="evaluations"
    )
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("测评名称"), max_length=120)
    status = models.CharField(
        _("状态"), max_length=12, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )
    ballots = models.PositiveIntegerField(_("收回票数"), default=0)
    result = models.JSONField(_("计票结果"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("民主测评")
        verbose_name_plural = _("民主测评")
        ordering = ["-session__held_on", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programmes:evaluation", args=[self.pk])


class EvaluationSubject(models.Model):
    """An office or unit being evaluated."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="subjects")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("测评对象"), max_length=100)
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    objects = EvaluationPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评对象")
        verbose_name_plural = _("测评对象")
        ordering = ["evaluation_id", "order", "id"]

    def __str__(self) -> str:
        return self.name


class EvaluationVoter(models.Model):
    """A representative entitled to vote in an evaluation, with the digest of their one-time
    ballot code and whether it was used — never what they marked, nor when: the marks go to
    `EvaluationCount` without any reference back (docs/programmes.md, "Anonymous ballots")."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="voters")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    representative = models.ForeignKey(Representative, on_delete=models.PROTECT, related_name="+")
    code_digest = models.CharField(max_length=64, unique=True)
    voted = models.BooleanField(default=False)

    objects = EvaluationPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评人")
        verbose_name_plural = _("测评人")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "representative"], name="programmes_voter_once")
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.representative_id}"


class EvaluationCount(models.Model):
    """How many ballots gave one subject one mark (incremented by each ballot, per source).
    There is no ballot row: a ballot is these increments, so no stored row or order links a
    mark to a voter."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="counts")
    subject = models.ForeignKey(EvaluationSubject, on_delete=models.CASCADE, related_name="counts")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    mark = models.CharField(max_length=8, choices=Mark.choices)
    source = models.CharField(max_length=8, choices=BallotSource.choices)
    count = models.PositiveIntegerField(default=0)

    objects = EvaluationPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评计数")
        verbose_name_plural = _("测评计数")
        constraints = [
            models.UniqueConstraint(fields=["subject", "mark", "source"], name="programmes_count_once")
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.mark} × {self.count}"
