"""Election rounds (换届) of a street, one election per residents' committee, its dated
milestones and the round's rule overrides."""

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.fields import ClockDateTimeField
from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import ElectionStatus, Method, Step
from ..querysets import ElectionPartQuerySet, ElectionQuerySet, RoundPartQuerySet, RoundQuerySet


class ElectionRound(AuditedModel):
    """A street's round of elections (e.g. "2026 换届"): all its committees elect in it.
    `rule_values` holds the round's overrides of the rules (rules.py) as JSON values; each
    change is a `RuleOverride` row saying who and why."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("届次名称"), max_length=60)
    year = models.PositiveSmallIntegerField(_("年度"))
    election_day = models.DateField(_("统一选举日"))
    rule_values = models.JSONField(_("本届规则调整"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("换届届次")
        verbose_name_plural = _("换届届次")
        ordering = ["-year", "street_id"]
        constraints = [models.UniqueConstraint(fields=["street", "year"], name="elections_round_street_year")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("elections:round", args=[self.pk])

    def rules(self) -> Any:
        """The effective rules: the law's defaults, the street profile's whole-number rules,
        then this round's overrides."""
        from ..rules import for_round

        return for_round(self)


class RuleOverride(models.Model):
    """One change of a round's rule: the value before and after, who, when and why. Written
    only by `actions.rounds.override_rule`, never edited."""

    round = models.ForeignKey(ElectionRound, on_delete=models.CASCADE, related_name="overrides")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(_("规则"), max_length=40)
    value = models.JSONField(_("调整为"))
    previous = models.JSONField(_("原值"))
    reason = models.TextField(_("调整理由"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("调整人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = ClockDateTimeField(_("调整时间"), auto_now_add=True)

    objects = RoundPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("规则调整记录")
        verbose_name_plural = _("规则调整记录")
        ordering = ["round_id", "set_at", "id"]

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"


class Election(AuditedModel):
    """The election of one residents' committee (its residential area) in a round. `status` is
    its step on the machine `elections.elections` (workflow.py); the dated plan of the steps
    is its `milestones`."""

    round = models.ForeignKey(
        ElectionRound, verbose_name=_("届次"), on_delete=models.PROTECT, related_name="elections"
    )
    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(
        Area, verbose_name=_("居委会（居民区）"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("选举方式"), max_length=16, choices=Method.choices, default=Method.DIRECT)
    seats = models.PositiveSmallIntegerField(_("应选名额"), default=7)
    vice_chairs = models.PositiveSmallIntegerField(_("其中副主任"), default=1)
    term_years = models.PositiveSmallIntegerField(_("任期（年）"), default=5)
    election_day = models.DateField(_("选举日"))
    status = models.CharField(
        _("进度"), max_length=16, choices=ElectionStatus.choices, default=ElectionStatus.PREPARING
    )
    # The ballot being voted (BallotBox.round_no: 1, then one more for each 另行选举 or run-off)
    # and whether it is counted by round 1's rules or round 2's (另行选举) — set by the count.
    ballot_no = models.PositiveSmallIntegerField(_("投票轮次"), default=1)
    law_round = models.PositiveSmallIntegerField(_("计票规则轮次"), default=1)
    # Seats still to fill in the ballot being voted (the count sets it after round 1).
    open_seats = models.PositiveSmallIntegerField(_("待选名额"), null=True, blank=True)
    # The step it was at when deferred (暂缓选举), where RESUME takes it back.
    deferred_from = models.CharField(max_length=16, choices=ElectionStatus.choices, blank=True)
    note = models.TextField(_("备注"), blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ElectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("居委会选举")
        verbose_name_plural = _("居委会选举")
        ordering = ["round_id", "area__code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "area"], name="elections_election_round_area")
        ]
        indexes = [models.Index(fields=["street", "status"], name="elections_election_status")]

    def __str__(self) -> str:
        return f"{self.area.name} · {self.round.name}"

    def get_absolute_url(self) -> str:
        return reverse("elections:election", args=[self.pk])


class Milestone(AuditedModel):
    """One dated step of an election's timeline: planned (`schedule`) and done (the action that
    completes it sets `done_on`)."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="milestones")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    step = models.CharField(_("步骤"), max_length=24, choices=Step.choices)
    planned_on = models.DateField(_("计划日期"), null=True, blank=True)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    objects = ElectionPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("选举日程")
        verbose_name_plural = _("选举日程")
        constraints = [models.UniqueConstraint(fields=["election", "step"], name="elections_milestone_step")]
