"""The webhook endpoints of /api/v1/ (shapes in webhooks.schemas).

Mounted by the API root with `TokenAuth("webhooks")` (token scope webhooks:read / :write).
Reads go through `restrict()`; writes through webhooks.actions, whose errors (cases.errors)
the API root maps to the one error shape. Nothing here decides who may do what.
"""

from typing import Annotated, Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from ninja import Query, Router, Status

from civicgrid.cases.errors import InvalidInput
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageSize, paginate
from civicgrid.core.rest import READ_ERRORS, WRITE_ERRORS, get_by_id
from civicgrid.geo.models import Area

from . import actions
from .choices import DeliveryStatus, alias_choices, event_choices
from .models import Delivery, Subscription
from .schemas import (
    DeliveryOut,
    DeliveryPage,
    EventKindOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPage,
    SubscriptionPatch,
    SubscriptionWithSecret,
)

router = Router(tags=["webhooks"])


def subscription_out(subscription: Subscription, secret: str | None = None) -> dict[str, Any]:
    out = {
        "id": subscription.pk,
        "name": subscription.name,
        "url": subscription.url,
        "events": list(subscription.events or []),
        "streets": [{"code": a.code, "name": a.name} for a in subscription.streets.all()],
        "active": subscription.active,
        "owner": subscription.owner.username if subscription.owner else None,
        "secret_set_at": subscription.secret_set_at,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }
    if secret is not None:
        out["secret"] = secret
    return out


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "subscription": delivery.subscription_id,
        "event": delivery.event,
        "event_id": delivery.event_id,
        "case": {"id": delivery.case_id, "number": delivery.case_number} if delivery.case_id else None,
        "object": {"type": delivery.object_type, "id": delivery.object_id, "number": delivery.object_number},
        "status": delivery.status,
        "attempts": delivery.attempts,
        "occurred_at": delivery.occurred_at,
        "created_at": delivery.created_at,
        "last_attempt_at": delivery.last_attempt_at,
        "next_attempt_at": delivery.next_attempt_at,
        "delivered_at": delivery.delivered_at,
        "response_status": delivery.response_status,
        "response_body": delivery.response_body,
        "error": delivery.error,
        "attempt_log": delivery.attempt_log or [],
        "payload": delivery.payload,
    }


def _subscriptions(user: Any) -> QuerySet[Subscription]:
    return (
        Subscription.objects.restrict(user, Action.VIEW)
        .select_related("owner")
        .prefetch_related(Prefetch("streets", queryset=Area.objects.order_by("code")))
    )


def _subscription(user: Any, subscription_id: int) -> Subscription:
    return get_by_id(_subscriptions(user), subscription_id)


def _delivery(user: Any, subscription_id: int, delivery_id: UUID) -> Delivery:
    _subscription(user, subscription_id)
    found = (
        Delivery.objects.restrict(user, Action.VIEW)
        .filter(subscription_id=subscription_id, pk=delivery_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


@router.get("/webhooks/events", response={200: list[EventKindOut], **READ_ERRORS}, summary="可订阅的事件类型")
def list_event_kinds(request: Any) -> list[dict[str, str]]:
    """Every event kind (`<app>.<action>`) with its Chinese label, then the old names
    (`case.<action>`, aliases of `cases.<action>`) with the same labels."""
    return [{"event": kind, "label": str(label)} for kind, label in event_choices() + alias_choices()]


@router.get("/webhooks", response={200: SubscriptionPage, **READ_ERRORS}, summary="Webhook 订阅列表")
def list_subscriptions(
    request: Any,
    active: Annotated[bool | None, Query(description="true：只看启用的；false：只看停用的")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The subscriptions of the caller's streets (street administrators; superusers: all)."""
    qs = _subscriptions(request.auth)
    if active is not None:
        qs = qs.filter(active=active)
    return paginate(qs.order_by("name", "id"), page, page_size, subscription_out)


@router.post("/webhooks", response={201: SubscriptionWithSecret, **WRITE_ERRORS}, summary="登记 Webhook 订阅")
def create_subscription(request: Any, payload: SubscriptionIn) -> Status[dict[str, Any]]:
    """The answer carries the signing `secret`: the only time it is shown (see rotate-secret)."""
    user = request.auth
    with acting_as(user, "api"):
        subscription, secret = actions.create_subscription(user, **payload.dict())
    return Status(201, subscription_out(_subscription(user, subscription.pk), secret))


@router.get(
    "/webhooks/{int:subscription_id}",
    response={200: SubscriptionOut, **READ_ERRORS},
    summary="Webhook 订阅详情",
)
def get_subscription(request: Any, subscription_id: int) -> dict[str, Any]:
    return subscription_out(_subscription(request.auth, subscription_id))


@router.patch(
    "/webhooks/{int:subscription_id}",
    response={200: SubscriptionOut, **WRITE_ERRORS},
    summary="修改 Webhook 订阅",
)
def update_subscription(request: Any, subscription_id: int, payload: SubscriptionPatch) -> dict[str, Any]:
    """Only the fields given change; `"active": false` deactivates it."""
    user = request.auth
    changes = payload.dict(exclude_unset=True)
    nulls = sorted(name for name, value in changes.items() if value is None)
    if nulls:
        raise InvalidInput("这些字段不能为 null：" + "、".join(nulls), dict.fromkeys(nulls, "invalid"))
    with acting_as(user, "api"):
        actions.update_subscription(subscription_id, user, **changes)
    return subscription_out(_subscription(user, subscription_id))


@router.delete(
    "/webhooks/{int:subscription_id}", response={204: None, **WRITE_ERRORS}, summary="删除 Webhook 订阅"
)
def delete_subscription(request: Any, subscription_id: int) -> Status[None]:
    """Deletes it with its delivery log; to keep the log, PATCH `"active": false` instead."""
    user = request.auth
    with acting_as(user, "api"):
        actions.delete_subscription(_subscription(user, subscription_id), user)
    return Status(204, None)


@router.post(
    "/webhooks/{int:subscription_id}/rotate-secret",
    response={200: SubscriptionWithSecret, **WRITE_ERRORS},
    summary="更换签名密钥",
)
def rotate_secret(request: Any, subscription_id: int) -> dict[str, Any]:
    """A new secret, used for every attempt from now on (pending retries too)."""
    user = request.auth
    with acting_as(user, "api"):
        subscription, secret = actions.rotate_secret(_subscription(user, subscription_id), user)
    return subscription_out(_subscription(user, subscription.pk), secret)


@router.get(
    "/webhooks/{int:subscription_id}/deliveries",
    response={200: DeliveryPage, **READ_ERRORS},
    summary="推送记录",
)
def list_deliveries(
    request: Any,
    subscription_id: int,
    status: Annotated[DeliveryStatus | None, Query(description="pending | succeeded | failed")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Newest first, with each attempt's answer (status code, body excerpt, error)."""
    user = request.auth
    _subscription(user, subscription_id)
    qs = Delivery.objects.restrict(user, Action.VIEW).filter(subscription_id=subscription_id)
    if status is not None:
        qs = qs.filter(status=status)
    return paginate(qs.order_by("-created_at", "-id"), page, page_size, delivery_out)


@router.get(
    "/webhooks/{int:subscription_id}/deliveries/{uuid:delivery_id}",
    response={200: DeliveryOut, **READ_ERRORS},
    summary="推送记录详情",
)
def get_delivery(request: Any, subscription_id: int, delivery_id: UUID) -> dict[str, Any]:
    return delivery_out(_delivery(request.auth, subscription_id, delivery_id))


@router.post(
    "/webhooks/{int:subscription_id}/deliveries/{uuid:delivery_id}/resend",
    response={200: DeliveryOut, **WRITE_ERRORS},
    summary="重发失败的推送",
)
def resend_delivery(request: Any, subscription_id: int, delivery_id: UUID) -> dict[str, Any]:
    """Only a failed delivery (409 otherwise): same id, current URL and secret, a new round of
    attempts. The answer is the delivery after its first new attempt when it runs at once."""
    user = request.auth
    found = _delivery(user, subscription_id, delivery_id)
    with acting_as(user, "api"):
        actions.resend_delivery(found, user)
    found.refresh_from_db()
    return delivery_out(found)
