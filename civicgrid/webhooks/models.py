"""Outbound webhooks: who wants which case events (Subscription) and what was sent (Delivery).

Written only by webhooks.actions (subscriptions, resends) and webhooks.delivery (the
deliveries and their attempts)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.choices import Action
from civicgrid.core.fields import ClockDateTimeField
from civicgrid.core.models import AuditedModel
from civicgrid.core.querysets import RestrictedQuerySet
from civicgrid.core.scope import Scope
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .choices import DeliveryStatus
from .transport import UnsafeURL, check_url


class SubscriptionQuerySet(RestrictedQuerySet):
    """Street administrators manage the subscriptions of their streets (superusers all, through
    restrict()). Seeing one needs one of its streets; changing it needs every street it covers,
    as for API integrations (accounts.ApiClient)."""

    permissions = dict.fromkeys(Action.values, "webhooks.manage")

    def scope_q(self, scope: Scope, action: str) -> Q:
        through = Subscription.streets.through.objects
        q = Q(pk__in=through.filter(area_id__in=scope.street_ids).values("subscription_id"))
        if action != Action.VIEW:
            q &= ~Q(pk__in=through.exclude(area_id__in=scope.street_ids).values("subscription_id"))
        return q


class Subscription(AuditedModel):
    """An external system that wants to hear of case and inspection events: a URL, the event kinds
    (choices.EVENT_CHOICES), the streets whose cases it hears of, and the HMAC secret."""

    # The secret is a credential: never in the audit log (secret_set_at records a rotation).
    audit_exclude = ("created_at", "updated_at", "secret")

    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("接收地址"), max_length=500)
    events = models.JSONField(_("订阅事件"), default=list, help_text=_('事件类型列表，如 ["case.dispatch"]'))
    streets = models.ManyToManyField(
        Area,
        verbose_name=_("街道范围"),
        related_name="webhook_subscriptions",
        limit_choices_to={"kind": AreaKind.STREET},
    )
    # Kept in clear: an HMAC needs the key itself. Shown once (on creation and rotation).
    secret = models.CharField(_("签名密钥"), max_length=100, editable=False)
    secret_set_at = models.DateTimeField(_("密钥生成时间"), null=True, blank=True, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Webhook 订阅")
        verbose_name_plural = _("Webhook 订阅")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("webhooks:detail", args=[self.pk])

    def clean(self) -> None:
        # Any model form (the admin's included) applies the rule of webhooks.actions and delivery.
        try:
            self.url = check_url(self.url)
        except UnsafeURL as exc:
            raise ValidationError({"url": str(exc)}) from None

    def audit_street_id(self) -> int | None:
        # The street administrators who read the trail; a subscription of several streets (or
        # one being created, before its streets are set) is for superusers only.
        ids = getattr(self, "_audit_street_ids", None)
        if ids is None:
            ids = list(self.streets.values_list("pk", flat=True)) if self.pk else []
        return ids[0] if len(ids) == 1 else None

    def wants(self, kind: str) -> bool:
        return kind in (self.events or ())


class DeliveryQuerySet(RestrictedQuerySet):
    """A delivery carries one case of one street: it is seen (and resent) by the administrators
    of that street, when they may also see (change) its subscription."""

    permissions = {Action.VIEW: "webhooks.manage", Action.CHANGE: "webhooks.manage"}

    def scope_q(self, scope: Scope, action: str) -> Q:
        subscriptions = Subscription.objects.all().filter(Subscription.objects.scope_q(scope, action))
        return Q(street_id__in=scope.street_ids) & Q(subscription__in=subscriptions.values("pk"))


class Delivery(models.Model):
    """One event for one subscription: the JSON body (`payload`, built when the event was
    committed), where the attempts stand and what the receiver answered last. The id is the
    idempotency key (payload "id", header X-Civicgrid-Delivery), the same on every attempt."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        Subscription, verbose_name=_("订阅"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("事件"), max_length=40)
    # Timeline row (a case's CaseEvent, else the domain Event) and the object by id (no
    # foreign keys: the log outlives what it reports on and never locks the hot tables). A
    # case's delivery fills case_id/case_number as well; other apps' only object_*.
    event_id = models.BigIntegerField(_("动态编号"))
    case_id = models.BigIntegerField(_("工单 ID"), null=True, blank=True)
    case_number = models.CharField(_("工单编号"), max_length=32, blank=True, default="")
    object_type = models.CharField(_("对象类型"), max_length=32, blank=True, default="")
    object_id = models.BigIntegerField(_("对象 ID"), null=True, blank=True)
    object_number = models.CharField(_("对象编号"), max_length=32, blank=True, default="")
    street_id = models.BigIntegerField(db_index=True)
    occurred_at = models.DateTimeField(_("发生时间"))
    payload = models.JSONField(_("推送内容"), default=dict)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # When the next attempt is due; None once the delivery succeeded or failed for good.
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("最近尝试"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    response_body = models.TextField(_("响应内容（节选）"), blank=True)
    error = models.TextField(_("错误"), blank=True)
    # Every attempt, oldest first and bounded (delivery.MAX_LOGGED_ATTEMPTS):
    # {"at", "status", "error", "body", "ms"}.
    attempt_log = models.JSONField(_("尝试记录"), default=list, blank=True)
    created_at = ClockDateTimeField(_("创建时间"), auto_now_add=True, db_index=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("Webhook 推送记录")
        verbose_name_plural = _("Webhook 推送记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A replayed on-commit callback (or a redelivered task) never sends an event twice.
            # A case's event_id is its timeline row, another object's the domain event: the
            # object type keeps the two numberings apart.
            models.UniqueConstraint(
                fields=["subscription", "object_type", "event_id"], name="webhooks_delivery_once"
            ),
        ]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhooks_delivery_log_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.case_number or self.object_number} → {self.subscription_id}"

    @property
    def is_failed(self) -> bool:
        return self.status == DeliveryStatus.FAILED
