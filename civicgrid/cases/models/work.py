"""What happens to a case: unit assignments, the timeline, photos, callbacks, supervision, extensions."""

from django.conf import settings
from django.db import models

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


class Assignment(models.Model):
    """One unit's part of a case (吹哨报到: a lead unit and co-handling units), tracked separately."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField("角色", max_length=8, choices=AssignmentRole.choices)
    status = models.CharField(
        "状态", max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    dispatched_at = models.DateTimeField("派遣时间")
    dispatched_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    signed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_at = models.DateTimeField("反馈时间", null=True, blank=True)
    feedback = models.TextField("处置情况", blank=True)
    returned_at = models.DateTimeField("退单时间", null=True, blank=True)
    return_reason = models.TextField("退单理由", blank=True)
    handling_due_at = models.DateTimeField("处置时限", null=True, blank=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = "派遣单位"
        verbose_name_plural = "派遣单位"
        ordering = ["case", "role", "id"]
        indexes = [models.Index(fields=["unit", "status"], name="assignment_unit_status_idx")]

    def __str__(self) -> str:
        return f"{self.case.number} → {self.unit.name}（{self.get_role_display()}）"


class CaseEvent(models.Model):
    """The timeline: one row per action on a case, written by cases.actions in the same transaction."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField("操作人", max_length=100, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField("动作", max_length=24, choices=CaseAction.choices)
    from_status = models.CharField("原状态", max_length=16, blank=True)
    to_status = models.CharField("新状态", max_length=16, blank=True)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    street_id = models.BigIntegerField(db_index=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = "工单动态"
        verbose_name_plural = "工单动态"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_action_display()}"


def photo_path(instance: "Photo", filename: str) -> str:
    return f"cases/{instance.case.received_at:%Y/%m}/{instance.case.number}/{filename}"


class Photo(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    stage = models.CharField("阶段", max_length=8, choices=PhotoStage.choices)
    image = models.ImageField("照片", upload_to=photo_path)
    thumbnail = models.ImageField("缩略图", upload_to=photo_path, blank=True)
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = "照片"
        verbose_name_plural = "照片"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_stage_display()}照片"


class Callback(models.Model):
    """回访: did the requester find the matter resolved, and were they satisfied."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="callbacks")
    at = models.DateTimeField("回访时间")
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contacted = models.BooleanField("联系上诉求人", default=True)
    resolution = models.CharField("解决情况", max_length=16, choices=Resolution.choices, blank=True)
    satisfaction = models.CharField("满意度", max_length=16, choices=Satisfaction.choices, blank=True)
    note = models.TextField("回访记录", blank=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = "回访"
        verbose_name_plural = "回访"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} 回访 {self.get_resolution_display()} {self.get_satisfaction_display()}"


class Supervision(models.Model):
    """督办: an overdue or repeated order, or a leader's instruction, noticed to the unit."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    kind = models.CharField("类型", max_length=24, choices=SupervisionKind.choices)
    at = models.DateTimeField("督办时间")
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="supervisions"
    )
    note = models.TextField("督办意见", blank=True)
    # Makes the periodic deadline check idempotent: one record per case, kind and deadline.
    key = models.CharField(max_length=100, unique=True, null=True, blank=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = "督办"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_kind_display()}"


class ExtensionRequest(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField("申请时间")
    working_days = models.PositiveSmallIntegerField("延期工作日")
    reason = models.TextField("理由")
    status = models.CharField(
        "状态", max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)
    old_due_at = models.DateTimeField(null=True, blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.case.number} 延期 {self.working_days} 个工作日（{self.get_status_display()}）"
