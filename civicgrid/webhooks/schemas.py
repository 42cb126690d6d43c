"""Shapes of /api/v1/webhooks (conventions as in cases.schemas: ISO 8601 +08:00 times, streets
named by code, enumerations as codes)."""

from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from civicgrid.core.pagination import PageOut
from civicgrid.core.rest import AreaRef, LocalDateTime


class SubscriptionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str
    url: str = Field(description="接收地址（http:// 或 https://）")
    events: list[str] = Field(
        description='事件类型，如 ["case.dispatch", "case.close"]（见 GET /webhooks/events）'
    )
    streets: list[str] = Field(description="街道编码：只推送这些街道的工单")
    active: bool = True


class SubscriptionPatch(Schema):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    url: str | None = None
    events: list[str] | None = None
    streets: list[str] | None = None
    active: bool | None = None


class SubscriptionOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    streets: list[AreaRef]
    active: bool
    owner: str | None = Field(description="创建人用户名")
    secret_set_at: LocalDateTime | None
    created_at: LocalDateTime
    updated_at: LocalDateTime


class SubscriptionWithSecret(SubscriptionOut):
    secret: str = Field(description="签名密钥：只在创建和更换密钥时返回一次，请妥善保存")


class SubscriptionPage(PageOut):
    results: list[SubscriptionOut]


class AttemptOut(Schema):
    at: str = Field(json_schema_extra={"format": "date-time"})  # kept as ISO 8601 text in the log
    status: int | None = None
    error: str = ""
    body: str = ""
    ms: int | None = None
    resend_by: str | None = None


class DeliveryOut(Schema):
    id: UUID
    subscription: int
    event: str
    event_id: int
    case: dict[str, Any] | None = Field(description='{"id", "number"}；非工单事件为 null')
    object: dict[str, Any] = Field(description='{"type", "id", "number"}：工单、整改通知、群租登记或检查任务')
    status: str
    attempts: int
    occurred_at: LocalDateTime
    created_at: LocalDateTime
    last_attempt_at: LocalDateTime | None
    next_attempt_at: LocalDateTime | None
    delivered_at: LocalDateTime | None
    response_status: int | None
    response_body: str
    error: str
    attempt_log: list[AttemptOut]
    payload: dict[str, Any] = Field(description="推送的 JSON 内容（每次尝试相同）")


class DeliveryPage(PageOut):
    results: list[DeliveryOut]


class EventKindOut(Schema):
    event: str
    label: str
