"""Every write to a subscription goes through this module, and so does a resend.

Each function loads its object through `restrict()` (outside the actor's scope: NotFound),
validates, writes in one transaction (the audit trail records it: core.audit) and enqueues
side effects on commit. Errors are cases.errors, which the pages and the API already map.
The deliveries themselves are written by webhooks.delivery.
"""

import functools
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from civicgrid.cases.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.geo.models import Area

from . import delivery, signing, transport
from .choices import DeliveryStatus, event_kinds
from .models import Delivery, Subscription

UNSET: Any = object()


def _load(ref: Any, actor: Any, action: str) -> Subscription:
    pk = ref.pk if isinstance(ref, Subscription) else ref
    visible = Subscription.objects.restrict(actor, Action.VIEW).filter(pk=pk)
    if not visible.exists():
        raise NotFound("Webhook 订阅不存在或不在你的管辖范围内")
    if action != Action.VIEW and not Subscription.objects.restrict(actor, action).filter(pk=pk).exists():
        raise Forbidden("该订阅覆盖你管辖范围以外的街道，只有上级管理员可以修改")
    return Subscription.objects.select_for_update().get(pk=pk)


def allowed_streets(actor: Any) -> Any:
    """The streets the actor may put in a subscription: those they administer."""
    return Area.objects.restrict(actor, Action.CHANGE).streets().order_by("code")


def _name(value: Any) -> str:
    name = str(value or "").strip()
    if not name:
        raise InvalidInput("名称不能为空", {"name": "required"})
    if len(name) > 100:
        raise InvalidInput("名称不能超过 100 个字", {"name": "too_long"})
    return name


def _url(value: Any) -> str:
    if not str(value or "").strip():
        raise InvalidInput("接收地址不能为空", {"url": "required"})
    try:
        url = transport.check_url(str(value))
    except transport.UnsafeURL as exc:
        raise InvalidInput(
            gettext("接收地址无效：%(reason)s") % {"reason": exc}, {"url": "invalid"}
        ) from None
    if len(url) > 500:
        raise InvalidInput("接收地址过长（最多 500 个字符）", {"url": "too_long"})
    return url


def _events(values: Any) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInput("订阅事件须为事件类型的列表", {"events": "invalid"})
    wanted = [str(v).strip() for v in values if str(v).strip()]
    if not wanted:
        raise InvalidInput("至少选择一种事件", {"events": "required"})
    unknown = sorted(set(wanted) - event_kinds())
    if unknown:
        raise InvalidInput(f"未知的事件类型：{', '.join(unknown)}", {"events": "invalid_choice"})
    return sorted(set(wanted))


def _streets(values: Any, actor: Any) -> list[Area]:
    """Streets given as Area objects (the pages) or codes (the API); each must be one the
    actor administers."""
    if isinstance(values, (str, Area)) or not isinstance(values, Iterable):
        values = [values]
    refs = [v for v in values if v not in (None, "")]
    if not refs:
        raise InvalidInput("至少选择一个街道", {"streets": "required"})
    ids = {v.pk for v in refs if isinstance(v, Area)}
    codes = {str(v).strip() for v in refs if not isinstance(v, Area)}
    allowed = allowed_streets(actor)
    found = list(allowed.filter(pk__in=ids)) + list(allowed.filter(code__in=codes).exclude(pk__in=ids))
    missing = sorted(({a.code for a in refs if isinstance(a, Area)} | codes) - {a.code for a in found})
    if missing:
        raise InvalidInput(
            f"街道 {', '.join(missing)} 不存在或不在你的管辖范围内", {"streets": "out_of_scope"}
        )
    return found


def create_subscription(
    actor: Any,
    *,
    name: str,
    url: str,
    events: Iterable[str],
    streets: Iterable[Any],
    active: bool = True,
) -> tuple[Subscription, str]:
    """A new subscription owned by `actor`, and its secret (the only time it is returned,
    apart from rotate_secret)."""
    if not Subscription.objects.all().allows(actor, Action.ADD):
        raise Forbidden("只有街道管理员可以登记 Webhook 订阅")
    subscription = Subscription(
        name=_name(name),
        url=_url(url),
        events=_events(events),
        active=bool(active),
        owner=actor if getattr(actor, "is_authenticated", False) else None,
        secret=signing.new_secret(),
        secret_set_at=clock.now(),
    )
    chosen = _streets(streets, actor)
    # The audit row of the creation is written before the streets are linked: tell it.
    subscription._audit_street_ids = [a.pk for a in chosen]  # type: ignore[attr-defined]
    with transaction.atomic():
        subscription.save()
        subscription.streets.set(chosen)
    return subscription, subscription.secret


def update_subscription(
    ref: Any,
    actor: Any,
    *,
    name: Any = UNSET,
    url: Any = UNSET,
    events: Any = UNSET,
    streets: Any = UNSET,
    active: Any = UNSET,
) -> Subscription:
    """Change what is given; the streets stay within the actor's (they must administer every
    street the subscription covers, before and after)."""
    with transaction.atomic():
        subscription = _load(ref, actor, Action.CHANGE)
        if name is not UNSET:
            subscription.name = _name(name)
        if url is not UNSET:
            subscription.url = _url(url)
        if events is not UNSET:
            subscription.events = _events(events)
        if active is not UNSET:
            subscription.active = bool(active)
        chosen = _streets(streets, actor) if streets is not UNSET else None
        if chosen is not None:
            subscription._audit_street_ids = [a.pk for a in chosen]  # type: ignore[attr-defined]
        subscription.save()
        if chosen is not None:
            subscription.streets.set(chosen)
    return subscription


def set_active(ref: Any, actor: Any, active: bool) -> Subscription:
    """Deactivate (or reactivate): an inactive subscription gets no new deliveries and its
    pending ones fail without being sent."""
    return update_subscription(ref, actor, active=active)


def rotate_secret(ref: Any, actor: Any) -> tuple[Subscription, str]:
    """A new secret, effective for every attempt from now on (pending retries included)."""
    with transaction.atomic():
        subscription = _load(ref, actor, Action.CHANGE)
        subscription.secret = signing.new_secret()
        subscription.secret_set_at = clock.now()
        subscription.save()
    return subscription, subscription.secret


def delete_subscription(ref: Any, actor: Any) -> None:
    """Delete it with its delivery log (deactivating keeps the log)."""
    with transaction.atomic():
        subscription = _load(ref, actor, Action.DELETE)
        # The audit row of the deletion is written after the street links are gone: tell it.
        subscription._audit_street_ids = list(subscription.streets.values_list("pk", flat=True))  # type: ignore[attr-defined]
        subscription.delete()


def resend_delivery(ref: Any, actor: Any) -> Delivery:
    """Send a failed delivery again, with the same id (receivers deduplicate on it), the
    current URL and secret, and a fresh round of attempts."""
    pk = ref.pk if isinstance(ref, Delivery) else ref
    with transaction.atomic():
        if not Delivery.objects.restrict(actor, Action.VIEW).filter(pk=pk).exists():
            raise NotFound("推送记录不存在或不在你的管辖范围内")
        if not Delivery.objects.restrict(actor, Action.CHANGE).filter(pk=pk).exists():
            raise Forbidden("该订阅覆盖你管辖范围以外的街道，只有上级管理员可以重发")
        found = Delivery.objects.select_for_update().select_related("subscription").get(pk=pk)
        if found.status != DeliveryStatus.FAILED:
            raise Conflict("只有发送失败的推送可以重发", {"status": found.status})
        if not found.subscription.active:
            raise Conflict("订阅已停用，请先启用再重发", {"subscription": "inactive"})
        now = clock.now()
        who = getattr(actor, "username", "") or "系统"
        found.attempt_log = [
            *(found.attempt_log or []),
            {"at": timezone.localtime(now).isoformat(), "resend_by": who},
        ][-delivery.MAX_LOGGED_ATTEMPTS :]
        found.status = DeliveryStatus.PENDING
        found.attempts = 0
        found.next_attempt_at = now
        found.error = ""
        found.save(update_fields=["attempt_log", "status", "attempts", "next_attempt_at", "error"])
        transaction.on_commit(functools.partial(delivery.enqueue, [str(found.pk)]), robust=True)
    return found
