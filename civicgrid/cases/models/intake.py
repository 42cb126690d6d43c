"""What the intake model suggested for a case and what the desk registered (智能派单): the
desk's acceptances and corrections, kept as training data (cases.intake.suggest); and the
suggestion a 12345 row without a category got, kept until the row comes again with one."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.fields import ClockDateTimeField

from ..choices import RequestType
from ..querysets import CaseChildQuerySet, IntakeHintQuerySet
from .case import Case
from .config import Category
from .work import street_field


class IntakeSuggestion(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="intake_suggestion")
    suggested_category = models.ForeignKey(
        Category, verbose_name=_("建议分类"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggested_request_type = models.CharField(
        _("建议诉求类型"), max_length=16, choices=RequestType.choices, blank=True
    )
    confidence = models.FloatField(_("置信度"))
    final_category = models.ForeignKey(
        Category, verbose_name=_("登记分类"), on_delete=models.PROTECT, related_name="+"
    )
    final_request_type = models.CharField(_("登记诉求类型"), max_length=16, choices=RequestType.choices)
    accepted = models.BooleanField(_("采纳建议"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = ClockDateTimeField(_("登记时间"), auto_now_add=True)
    # When the model that made the suggestion was trained (its file's info): a correction of
    # an old model is still a correction, but the figures read per model.
    model_trained_at = models.CharField(max_length=40, blank=True)
    street = street_field()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("智能派单建议")
        verbose_name_plural = _("智能派单建议")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["street", "accepted"], name="cases_intake_street_accepted")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.suggested_category_id}→{self.final_category_id}"


class IntakeHint(models.Model):
    """The suggestion for an imported row that had no category (the 12345 import's error report
    shows it): when the desk fills the column in and the row comes again, the case's
    IntakeSuggestion records whether the desk kept or corrected it, and this row goes."""

    source = models.CharField(_("来源"), max_length=16)
    external_id = models.CharField(_("外部编号"), max_length=64)
    suggested_category = models.ForeignKey(
        Category, verbose_name=_("建议分类"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggested_request_type = models.CharField(
        _("建议诉求类型"), max_length=16, choices=RequestType.choices, blank=True
    )
    confidence = models.FloatField(_("置信度"))
    model_trained_at = models.CharField(max_length=40, blank=True)
    at = ClockDateTimeField(_("建议时间"), auto_now=True)
    street = street_field()

    objects = IntakeHintQuerySet.as_manager()

    class Meta:
        verbose_name = _("待确认的分类建议")
        verbose_name_plural = _("待确认的分类建议")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="cases_intake_hint_once")
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id} → {self.suggested_category_id}"
