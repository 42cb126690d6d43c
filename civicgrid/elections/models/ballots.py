"""Candidates, ballot boxes with their tallies, the counts (one per ballot) and the members
elected."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.fields import ClockDateTimeField
from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import BoxKind, CandidateStatus, Position
from ..querysets import ElectionPartQuerySet


class Candidate(AuditedModel):
    """A candidate for a position: nominated, then official once announced. A write-in (另选他人)
    counted on the ballots is a candidate with `is_write_in`."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="candidates")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    voter = models.ForeignKey(
        "elections.Voter", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    position = models.CharField(_("职务"), max_length=12, choices=Position.choices, default=Position.MEMBER)
    status = models.CharField(
        _("状态"), max_length=10, choices=CandidateStatus.choices, default=CandidateStatus.NOMINEE
    )
    nominated_by = models.CharField(_("提名方式"), max_length=60, blank=True)
    is_write_in = models.BooleanField(_("另选他人"), default=False)

    objects = ElectionPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("候选人")
        verbose_name_plural = _("候选人")
        ordering = ["election_id", "is_write_in", "id"]
        constraints = [models.UniqueConstraint(fields=["election", "name"], name="elections_candidate_name")]

    def __str__(self) -> str:
        return self.name


class BallotBox(AuditedModel):
    """One ballot box of one ballot (`round_no` 1, 2 for 另行选举, 3… for further run-offs):
    ballots issued and returned, the invalid ones; its votes per candidate are `BoxVotes`."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="boxes")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    round_no = models.PositiveSmallIntegerField(_("轮次"), default=1)
    kind = models.CharField(_("票箱类型"), max_length=8, choices=BoxKind.choices)
    name = models.CharField(_("票箱"), max_length=60)
    issued = models.PositiveIntegerField(_("发出选票"), default=0)
    cast = models.PositiveIntegerField(_("收回选票"), default=0)
    invalid = models.PositiveIntegerField(_("无效票"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ElectionPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("票箱")
        verbose_name_plural = _("票箱")
        ordering = ["election_id", "round_no", "id"]
        constraints = [
            models.UniqueConstraint(fields=["election", "round_no", "name"], name="elections_box_name")
        ]


class BoxVotes(models.Model):
    """The votes one candidate (or a write-in name) got in one box."""

    box = models.ForeignKey(BallotBox, on_delete=models.CASCADE, related_name="votes")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="box_votes")
    votes = models.PositiveIntegerField(_("得票"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["box", "candidate"], name="elections_boxvotes_candidate")
        ]

    def __str__(self) -> str:
        return f"{self.candidate_id}: {self.votes}"


class Count(AuditedModel):
    """The count of one ballot as `counting.count` gave it, with its inputs and the rules it
    applied (`law_round`: 1, or 2 for 另行选举 and its run-offs), so an audit can run
    `manage.py count_election` on `tally.tally_json()` and compare."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="counts")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    round_no = models.PositiveSmallIntegerField(_("轮次"))
    law_round = models.PositiveSmallIntegerField(_("计票规则轮次"), default=1)
    registered = models.PositiveIntegerField(_("登记选民"))
    ballots_issued = models.PositiveIntegerField(_("发出选票"), null=True)
    ballots_cast = models.PositiveIntegerField(_("收回选票"))
    invalid_ballots = models.PositiveIntegerField(_("无效票"))
    seats = models.PositiveSmallIntegerField(_("应选名额"))
    votes = models.JSONField(_("得票"))
    rules = models.JSONField(_("适用规则"))
    valid = models.BooleanField(_("选举有效"))
    turnout = models.DecimalField(_("参选率"), max_digits=7, decimal_places=6)
    elected = models.JSONField(_("当选"), default=list)
    vacancies = models.PositiveSmallIntegerField(_("空缺名额"))
    second_round = models.JSONField(_("另行选举候选人"), default=list)
    outcome = models.CharField(_("结果代码"), max_length=20)
    reason = models.TextField(_("说明"))
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    counted_at = ClockDateTimeField(auto_now_add=True)

    objects = ElectionPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("计票结果")
        verbose_name_plural = _("计票结果")
        ordering = ["election_id", "round_no", "id"]


class Member(AuditedModel):
    """A member elected to the committee (from a count), with the position the candidate stood for."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="members")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    candidate = models.OneToOneField(Candidate, on_delete=models.PROTECT, related_name="member")
    position = models.CharField(_("职务"), max_length=12, choices=Position.choices)
    votes = models.PositiveIntegerField(_("得票"))
    round_no = models.PositiveSmallIntegerField(_("当选轮次"))

    objects = ElectionPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("当选成员")
        verbose_name_plural = _("当选成员")
        ordering = ["election_id", "round_no", "-votes"]
