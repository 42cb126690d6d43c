from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import clock, personal
from .choices import Action, AuditEvent, JobStatus, MessageChannel, MessageStatus, Role
from .fields import ClockDateTimeField
from .privacy import RevealVia
from .querysets import RestrictedQuerySet, user_scope
from .scope import Scope


class TimeStampedModel(models.Model):
    created_at = ClockDateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = ClockDateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AuditedModel(TimeStampedModel):
    """A registry object whose every create/update/delete is written to AuditLog
    (see core.audit). `audit_street_id()` tells the log which street it belongs to."""

    audit_exclude: tuple[str, ...] = ("created_at", "updated_at")

    class Meta:
        abstract = True

    def audit_street_id(self) -> int | None:
        return getattr(self, "street_id", None)


class AuditLogQuerySet(RestrictedQuerySet):
    """A street's administrators and leaders read their street's trail; rows without a
    street (district-level objects) only superusers read."""

    permissions = {Action.VIEW: "core.audit_log"}
    street_field = "street_id"


class AuditLog(models.Model):
    timestamp = ClockDateTimeField(pgettext_lazy("singular", "时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    via = models.CharField(_("途径"), max_length=40, blank=True, help_text="web / admin / api / command")
    event = models.CharField(pgettext_lazy("singular", "操作"), max_length=10, choices=AuditEvent.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("对象"), max_length=255)
    # {"field": [before, after]} for updates; {"field": value} snapshots for create/delete.
    changes = models.JSONField(_("变更"), default=dict)
    street_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # The API token a write was made with (accounts.ApiToken; a plain id because core may not
    # import accounts, and the row must outlive a deleted token). The label keeps its prefix
    # and name, e.g. "cg_abcd… 12345 平台".
    api_token_id = models.BigIntegerField(_("API 令牌编号"), null=True, blank=True, db_index=True)
    api_token_label = models.CharField(_("API 令牌"), max_length=100, blank=True, default="", db_default="")

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-timestamp"], name="audit_object_idx")]

    def __str__(self) -> str:
        who = self.actor_label or "系统"
        return f"{self.timestamp:%Y-%m-%d %H:%M} {who} {self.get_event_display()} {self.object_repr}"

    @classmethod
    def for_object(cls, obj: Any) -> models.QuerySet["AuditLog"]:
        ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        return cls.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related("actor")


class Holiday(AuditedModel):
    """One day of the State Council holiday schedule, entered by an administrator for years the
    `chinesecalendar` package does not cover yet (the schedule is published each November).
    A row overrides the package for its date, so it can also correct the package."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(
        _("调休上班"),
        default=False,
        help_text=_("勾选：该日（通常是周末）调休上班；不勾选：该日放假。"),
    )
    name = models.CharField(_("节日"), max_length=50, help_text=_("如：春节、国庆节"))
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = "调休上班" if self.is_workday else "放假"
        return f"{self.date:%Y-%m-%d} {self.name}（{kind}）"

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, **kwargs: Any) -> "Holiday":
        instance = super().from_db(db, field_names, values, **kwargs)
        # The calendar cache must also forget the year a row is moved away from.
        instance._loaded_date = instance.__dict__.get("date")  # type: ignore[attr-defined]
        return instance

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from . import workdays

        if self.date is None:
            return
        # A make-up working day only means something on a day that would otherwise be off.
        if self.is_workday and self.date.weekday() < 5 and not workdays.package_says_day_off(self.date):
            raise ValidationError({"is_workday": "周一至周五本来就是工作日，调休上班日应为周六或周日。"})


class PersonalDataAccessQuerySet(RestrictedQuerySet):
    """Like the audit trail: a street's administrators and leaders read who looked at its
    residents' data; rows without a street only superusers read."""

    permissions = {Action.VIEW: "core.audit_log"}
    street_field = "street_id"


class PersonalDataAccess(models.Model):
    """One reveal of a masked personal field (core.privacy.reveal()): who, what, where from.
    Written only by reveal(); never changed."""

    at = ClockDateTimeField(pgettext_lazy("singular", "时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("查看人"),
        null=True,
        blank=True,
        # The row outlives the account; user_label keeps the name.
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user_label = models.CharField(_("查看人"), max_length=150, blank=True)
    # "<app>.<model>.<field>" of a core.personal field: no choices, so a new app's personal
    # field needs no core migration (field_label() names it from the model).
    field = models.CharField(_("字段"), max_length=80)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("对象"), max_length=255)
    street_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    via = models.CharField(_("途径"), max_length=10, choices=RevealVia.choices)
    reason = models.TextField(_("事由"), blank=True)

    objects = PersonalDataAccessQuerySet.as_manager()

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"], name="pda_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_label} {self.field_label()} {self.object_repr}"

    def field_label(self) -> str:
        return personal.label_of(self.field)


class JobQuerySet(RestrictedQuerySet):
    """A background job is seen by whoever started it, and by the administrators of its
    street (they answer for what their staff export). Nobody changes a job through a page:
    only core.actions writes it."""

    permissions = {Action.VIEW: "core.jobs"}

    def scope_q(self, scope: Scope, action: str) -> Q:
        q = Q(created_by_id=scope.user_id) if scope.user_id else Q(pk__in=[])
        if scope.role == Role.ADMIN and scope.street_ids:
            q |= Q(street_id__in=scope.street_ids)
        return q


def _job_file_name(job: "Job", folder: str, filename: str) -> str:

    return f"jobs/{folder}/{clock.today():%Y/%m}/{job.kind}-{filename}"


def job_input_path(job: "Job", filename: str) -> str:
    return _job_file_name(job, "in", filename)


def job_result_path(job: "Job", filename: str) -> str:
    return _job_file_name(job, "out", filename)


class Job(models.Model):
    """A piece of background work started from a page (an import, an export, a report),
    run by a Celery task, its progress shown on the job page. Written only by core.actions;
    the owning app does the work, as the kind registered in core.jobs."""

    # A name from the core.jobs registry ("cases.import_12345"), not choices: a new kind needs
    # no migration. core.actions.create_job refuses names the registry does not know.
    kind = models.CharField(_("类型"), max_length=64)
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    # None until known (a count first, then the work).
    total = models.PositiveIntegerField(_("总数"), null=True, blank=True)
    message = models.CharField(_("进度说明"), max_length=200, blank=True)
    # What to do: the filter of an export, the street and month of a report.
    params = models.JSONField(_("参数"), default=dict, blank=True)
    input_file = models.FileField(_("上传文件"), upload_to=job_input_path, max_length=255, blank=True)
    result_file = models.FileField(_("结果文件"), upload_to=job_result_path, max_length=255, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The street the job belongs to (its administrators see it); core knows no Area.
    street_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = ClockDateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)
    # How many times a worker started it: more than one means a redelivery (a worker died).
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind_label} #{self.pk}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("jobs:detail", args=[self.pk])

    @property
    def kind_label(self) -> str:
        from . import jobs

        return jobs.label(self.kind)

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    @property
    def succeeded(self) -> bool:
        return self.status == JobStatus.SUCCEEDED

    @property
    def failed(self) -> bool:
        return self.status == JobStatus.FAILED

    @property
    def percent(self) -> int | None:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return None
        return min(100, int(self.done * 100 / self.total))


class AttachmentQuerySet(RestrictedQuerySet):
    """An attachment is visible exactly when the object it belongs to is: the owner's own
    `restrict()` decides (viewing it for `view`, changing it for anything else), for every
    model registered with core.attachments.accept()."""

    def restrict(self, user: Any, action: str = Action.VIEW) -> "AttachmentQuerySet":
        from .attachments import owner_scope_q

        scope = user_scope(user)
        if scope is None:
            return self.none()
        if scope.is_global:
            return self
        return self.filter(owner_scope_q(user, action))


def attachment_path(attachment: "Attachment", filename: str) -> str:
    ct = ContentType.objects.get_for_id(attachment.content_type_id)
    return f"attachments/{ct.app_label}/{ct.model}/{attachment.object_id}/{filename}"


class Attachment(models.Model):
    """A file (today: a photo, checked and stripped by core.attachments) belonging to any
    object — a case, an area, a unit… —, written only by core.attachments. The owning app
    validates `stage` (e.g. cases' PhotoStage) and may link its timeline row (`event_id`)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    owner = GenericForeignKey("content_type", "object_id")
    # The owner's street (core knows no Area), like every hot table: rows are found by street.
    street_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    stage = models.CharField(_("阶段"), max_length=16, blank=True)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=255)
    thumbnail = models.ImageField(_("缩略图"), upload_to=attachment_path, max_length=255, blank=True)
    media_type = models.CharField(_("文件类型"), max_length=50, blank=True)
    size = models.PositiveBigIntegerField(_("大小"), default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = ClockDateTimeField(_("上传时间"), auto_now_add=True)
    # The owner's timeline row the file came with (cases.CaseEvent), a plain id: core imports no app.
    event_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Marked by the owner's app (cases: the desk's 设置照片公开); only then may a public page serve it.
    public = models.BooleanField(_("对外公开"), default=False)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_owner_idx")]

    def __str__(self) -> str:
        ct = ContentType.objects.get_for_id(self.content_type_id)
        return f"{ct.app_label}.{ct.model} #{self.object_id} {self.file.name}"

    def get_stage_display(self) -> str:
        from .attachments import stage_label

        return stage_label(self)

    def audit_street_id(self) -> int | None:
        return self.street_id


class NotificationQuerySet(RestrictedQuerySet):
    """An inbox is its reader's own."""

    permissions = {Action.VIEW: "core.inbox", Action.CHANGE: "core.inbox"}

    def scope_q(self, scope: Scope, action: str) -> Q:
        return Q(user_id=scope.user_id)


class Notification(models.Model):
    """An inbox item about any object (or none). `key` makes sending idempotent: a retried
    task never notifies twice. Written by core.notifications.notify()."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("content_type", "object_id")
    # The object's street (none for a notice about no object), like every hot table.
    street_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    kind = models.CharField(_("类型"), max_length=24)
    # A message id (gettext_noop, with %(name)s placeholders) filled from `params` in the
    # reader's language when shown (`message`); rows written before params existed hold
    # their finished Chinese text and no params, and read as they are.
    text = models.CharField(_("内容"), max_length=300)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    # Where the object is seen, taken when the notice is written (the inbox links it).
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = ClockDateTimeField(pgettext_lazy("singular", "时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    key = models.CharField(max_length=150, unique=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="core_notification_inbox_idx"),
            models.Index(fields=["content_type", "object_id"], name="notification_about_idx"),
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        """The notice in the active language."""
        from .messages import render

        return render(self.text, self.params)

    def get_kind_display(self) -> str:
        from .notifications import kind_label

        return kind_label(self.kind)


class MessageDeliveryQuerySet(RestrictedQuerySet):
    """Like the audit trail: a street's administrators and leaders read what was sent to its
    people; rows without a street only superusers read."""

    permissions = {Action.VIEW: "core.audit_log"}
    street_field = "street_id"


class MessageDelivery(models.Model):
    """One e-mail or text message (core.messaging): the delivery log and the retry queue.
    `key` makes it idempotent (the notice's key, the channel and the recipient): a notice
    handled again never sends twice. The address is encrypted and shown masked (`to_masked`);
    it is decrypted only to send."""

    key = models.CharField(max_length=200, unique=True)
    channel = models.CharField(_("渠道"), max_length=8, choices=MessageChannel.choices)
    kind = models.CharField(_("类型"), max_length=24)
    to = personal.PersonalDataField(
        _("收件人"), kind=personal.Kind.TEXT, capability="privacy.reveal_personal"
    )
    to_hash = personal.SearchHashField(of="to")  # every message sent to one number or address
    to_masked = models.CharField(_("收件人"), max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("content_type", "object_id")
    street_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    text = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=8, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = ClockDateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    objects = MessageDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("消息发送记录")
        verbose_name_plural = _("消息发送记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="message_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to_masked}"


class Event(models.Model):
    """The domain event log: one row per committed write to a stateful object, written in the
    write's own transaction (core.events.log; the action frame does it for every action).
    Consumers (webhooks, notifications, rollups) read it in id order behind a watermark
    (core.events.Consumer), so nothing is lost between COMMIT and what follows it.
    Append-only; plain ids (no foreign keys): the log outlives what it reports on and never
    locks the hot tables."""

    app = models.CharField(max_length=32)  # the app label: "cases"
    object_type = models.CharField(max_length=32)  # the model name: "case"
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=32)
    street_id = models.BigIntegerField(null=True, blank=True)
    # The object's version after the write (None for objects without one).
    version = models.PositiveIntegerField(null=True, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField()
    # What consumers need and a timeline never shows (e.g. "notify": the action's notices).
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("领域事件")
        verbose_name_plural = _("领域事件")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.app}.{self.action} {self.object_type}:{self.object_id}"


class EventCursor(models.Model):
    """One consumer's watermark over Event ids (core.events): every event up to
    `last_event_id` has been handled. `gap_id`/`gap_seen_at`: the lowest id above it that is
    not visible yet (a transaction still writing, or one that rolled back), waited for a
    while and then stepped over."""

    name = models.CharField(max_length=64, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    gap_id = models.BigIntegerField(null=True, blank=True)
    gap_seen_at = models.DateTimeField(null=True, blank=True)
    ran_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("事件消费进度")
        verbose_name_plural = _("事件消费进度")

    def __str__(self) -> str:
        return f"{self.name} at event {self.last_event_id}"
