"""What happens to a case: unit assignments, the timeline, photos, callbacks, supervision, extensions."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core.messages import render
from civicgrid.core.models import Attachment, Event
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from ..choices import (
    AssignmentRole,
    AssignmentStatus,
    CaseAction,
    ExtensionStatus,
    PhotoStage,
    Resolution,
    Satisfaction,
    SupervisionKind,
)
from ..querysets import CaseChildQuerySet
from .case import Case

User = settings.AUTH_USER_MODEL


def street_field() -> models.ForeignKey:
    """The case's street, copied onto each row hanging off a case: every hot table carries its
    street, so a street's rows can be found (and distributed by street, docs/operations.md)
    without joining the cases table."""
    return models.ForeignKey(
        Area, verbose_name=pgettext_lazy("singular", "街道"), on_delete=models.PROTECT, related_name="+"
    )


class Assignment(models.Model):
    """One unit's part of a case (吹哨报到: a lead unit and co-handling units), tracked separately."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("角色"), max_length=8, choices=AssignmentRole.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    dispatched_at = models.DateTimeField(_("派遣时间"))
    dispatched_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    signed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    feedback = models.TextField(_("处置情况"), blank=True)
    returned_at = models.DateTimeField(_("退单时间"), null=True, blank=True)
    return_reason = models.TextField(_("退单理由"), blank=True)
    handling_due_at = models.DateTimeField(_("处置时限"), null=True, blank=True)
    street = street_field()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("singular", "派遣单位")
        verbose_name_plural = _("派遣单位")
        ordering = ["case", "role", "id"]
        indexes = [models.Index(fields=["unit", "status"], name="assignment_unit_status_idx")]

    def __str__(self) -> str:
        return f"{self.case.number} → {self.unit.name}（{self.get_role_display()}）"


class CaseEvent(models.Model):
    """The timeline: one row per action on a case, written by cases.actions in the same
    transaction. It is the cases' view of the domain event log: each row is written by the same
    call as its `core.Event` and points at it (docs/decisions/0006); the event carries what
    consumers read, this row what the timeline shows."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    # Null only for a row whose event was removed (the log is append-only: never in practice).
    event = models.OneToOneField(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_event"
    )
    at = models.DateTimeField(pgettext_lazy("singular", "时间"), db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=100, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("动作"), max_length=24, choices=CaseAction.choices)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    # What a person typed, or — when data["note_params"] is present — a message id the system
    # wrote, shown in the reader's language (`note_text`, core.messages).
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    street_id = models.BigIntegerField(db_index=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("工单动态")
        verbose_name_plural = _("工单动态")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_action_display()}"

    @property
    def note_text(self) -> str:
        """The note in the active language (a system note) or as typed."""
        return render(self.note, self.data.get("note_params"))

    @property
    def photos(self) -> models.QuerySet["Photo"]:
        """The photos stored with this row."""
        return Photo.objects.filter(event_id=self.pk)


def photo_path(instance: Any, filename: str) -> str:
    """Where photos were stored before they became core attachments; migrations 0001–0007
    name it, and the files stored there keep their names."""
    return f"cases/{instance.case.received_at:%Y/%m}/{instance.case.number}/{filename}"


class Photo(Attachment):
    """A case's photo: an attachment of a Case (core.attachments checked and stored it), its
    stage a PhotoStage, `event_id` the timeline row it came with."""

    class Meta:
        proxy = True
        verbose_name = pgettext_lazy("singular", "照片")
        verbose_name_plural = _("照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{getattr(self.owner, 'number', '')} {self.get_stage_display()}照片"

    def get_stage_display(self) -> str:
        # A case's photo knows its stages: no content-type look-up (the case page's query count).
        return str(PhotoStage(self.stage).label) if self.stage in PhotoStage.values else self.stage

    @property
    def image(self) -> Any:
        return self.file

    @property
    def event(self) -> CaseEvent | None:
        return CaseEvent.objects.filter(pk=self.event_id).first() if self.event_id else None


class Callback(models.Model):
    """回访: did the requester find the matter resolved, and were they satisfied."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="callbacks")
    at = models.DateTimeField(_("回访时间"))
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contacted = models.BooleanField(_("联系上诉求人"), default=True)
    resolution = models.CharField(_("解决情况"), max_length=16, choices=Resolution.choices, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=16, choices=Satisfaction.choices, blank=True)
    note = models.TextField(_("回访记录"), blank=True)
    # The resident's own rating through the tracking link (one per case) rather than the desk's
    # phone call; it takes precedence in the rates (docs/metrics.md).
    by_resident = models.BooleanField(_("居民自评"), default=False)
    street = street_field()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} 回访 {self.get_resolution_display()} {self.get_satisfaction_display()}"


class Supervision(models.Model):
    """督办: an overdue or repeated order, or a leader's instruction, noticed to the unit."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    kind = models.CharField(_("类型"), max_length=24, choices=SupervisionKind.choices)
    at = models.DateTimeField(_("督办时间"))
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="supervisions"
    )
    note = models.TextField(_("督办意见"), blank=True)
    # Makes the periodic deadline check idempotent: one record per case, kind and deadline.
    key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    street = street_field()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_kind_display()}"


class ExtensionRequest(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"))
    working_days = models.PositiveSmallIntegerField(_("延期工作日"))
    reason = models.TextField(_("理由"))
    status = models.CharField(
        _("状态"), max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    old_due_at = models.DateTimeField(null=True, blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)
    street = street_field()

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("singular", "延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.case.number} 延期 {self.working_days} 个工作日（{self.get_status_display()}）"
