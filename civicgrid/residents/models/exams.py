"""知情考试 (seed 001): an examiner draws N households at random from a cadre's area, the
cadre answers from memory, the system compares item by item, the examiner grades 1–5 (一级 the
best, as the seed's 预入选“一级”); those graded 1 sit a re-check round."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from ..choices import ExamStatus, RoundKind
from ..querysets import ExamQuerySet, ExamRoundQuerySet


class ExamRound(AuditedModel):
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("轮次"), max_length=16, choices=RoundKind.choices, default=RoundKind.FIRST)
    # A re-check round names the round whose grade-1 cadres it re-examines.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("初审轮次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rechecks",
    )
    held_on = models.DateField(_("考试日期"))
    sample_size = models.PositiveSmallIntegerField(_("抽查户数"), default=10)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ExamRoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("知情考试轮次")
        verbose_name_plural = _("知情考试轮次")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("residents:exam_round", args=[self.pk])


class Exam(AuditedModel):
    """One cadre's examination in a round: the draw (its seed kept, so anyone can redo it and
    get the same households), the answers, the comparison and the grade."""

    round = models.ForeignKey(ExamRound, on_delete=models.CASCADE, related_name="exams")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("受考干部"), on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(Area, verbose_name=_("抽查范围"), on_delete=models.PROTECT, related_name="+")
    examiner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("考官"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    seed = models.BigIntegerField(_("抽签种子"))
    population = models.PositiveIntegerField(_("可抽户数"), default=0)
    status = models.CharField(_("状态"), max_length=16, choices=ExamStatus.choices, default=ExamStatus.DRAWN)
    matched = models.PositiveIntegerField(_("答对项数"), default=0)
    total = models.PositiveIntegerField(_("比对项数"), default=0)
    grade = models.PositiveSmallIntegerField(_("评级"), null=True, blank=True)
    grade_note = models.TextField(_("评语"), blank=True)
    answered_at = models.DateTimeField(_("作答时间"), null=True, blank=True)
    graded_at = models.DateTimeField(_("评级时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ExamQuerySet.as_manager()

    class Meta:
        verbose_name = _("知情考试")
        verbose_name_plural = _("知情考试")
        ordering = ["round_id", "cadre_id"]
        constraints = [models.UniqueConstraint(fields=["round", "cadre"], name="residents_exam_once")]

    def __str__(self) -> str:
        return f"{self.round} · {self.cadre}"

    @property
    def match_ratio(self) -> float | None:
        return self.matched / self.total if self.total else None

    def get_absolute_url(self) -> str:
        return reverse("residents:exam", args=[self.pk])


class ExamItem(models.Model):
    """One drawn household: the cadre's answer and, item by item, whether the registry agrees.
    Written by the exam's actions only (its rows follow the exam's scope)."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="items")
    household = models.ForeignKey("residents.Household", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    answer = models.JSONField(default=dict, blank=True)
    # [{"item": "size", "expected": …, "given": …, "ok": bool}, …] — what the registry held when answered.
    comparison = models.JSONField(default=list, blank=True)
    matched = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["exam_id", "position"]
        constraints = [models.UniqueConstraint(fields=["exam", "household"], name="residents_examitem_once")]

    def __str__(self) -> str:
        return f"{self.exam} #{self.position}"
