"""Shapes of the work-order API (/api/v1/), documented in the OpenAPI schema.

Conventions:
- Times are ISO 8601 with the Asia/Shanghai offset ("2026-03-02T09:00:00+08:00").
- Areas (street, residential_area, grid) are `{"code": ..., "name": ...}`; the code is the
  stable key (filters take it), the name is for people. Units are `{"id": ..., "name": ...}`.
- Enumerations (status, request_type, channel, …) are the codes of cases.choices; the
  matching `*_label` field, where given, is the Chinese label.
"""

from datetime import datetime
from typing import Annotated, Any

from django.db import models
from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field, PlainSerializer

from .choices import Channel, RequestType, Urgency


def _local_iso(value: datetime) -> str:
    # The database hands back UTC; clients get the local offset, as the brief asks.
    return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()


LocalDateTime = Annotated[datetime, PlainSerializer(_local_iso, return_type=str)]


class ErrorDetail(Schema):
    code: str = Field(description="机器可读的错误码，如 invalid、not_found、conflict、transition_not_allowed")
    message: str = Field(description="给人看的说明（中文）")
    fields: dict[str, Any] = Field(default_factory=dict, description="出错的字段 → 原因码")


class ErrorOut(Schema):
    error: ErrorDetail


class AreaRef(Schema):
    code: str
    name: str


class UnitRef(Schema):
    id: int
    name: str


class CategoryRef(Schema):
    code: str
    name: str


class Reveal(models.TextChoices):
    """Masked personal fields a case read may ask for in full (`?reveal=`)."""

    PHONE = "phone", "诉求人电话"


class ReporterOut(Schema):
    name: str
    phone: str = Field(
        description="总是 138****0000 形式；调度员和管理员以 GET /cases/{ref}?reveal=phone 取完整号码（留痕）"
    )
    anonymous: bool


class CaseIn(Schema):
    """A new case. Unknown fields are refused (400, naming them)."""

    model_config = ConfigDict(extra="forbid")

    request_type: RequestType
    category: str = Field(description="问题分类编码，如 E2105")
    description: str
    channel: Channel
    title: str = ""
    urgency: Urgency = Urgency.NORMAL
    lon: float | None = Field(default=None, description="WGS84 经度")
    lat: float | None = Field(default=None, description="WGS84 纬度")
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_anonymous: bool = False
    external_id: str | None = Field(
        default=None, description="外部系统编号（如 12345 工单编号），同一来源内唯一"
    )
    source: str = Field(default="", description="外部来源，如 12345")
    received_at: datetime | None = Field(
        default=None, description="受理时间（ISO 8601；不带时区按 Asia/Shanghai），缺省为现在"
    )


class CaseOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    version: int = Field(description="乐观锁版本号：执行操作时回传，过期则 409")
    request_type: str
    category: CategoryRef
    channel: str
    urgency: str
    title: str
    description: str
    address: str
    lon: float | None
    lat: float | None
    street: AreaRef
    residential_area: AreaRef | None
    grid: AreaRef | None
    lead_unit: UnitRef | None
    master: str | None = Field(description="合并到的主单编号")
    received_at: LocalDateTime
    response_due_at: LocalDateTime
    handling_due_at: LocalDateTime
    responded_at: LocalDateTime | None
    handled_at: LocalDateTime | None
    closed_at: LocalDateTime | None
    is_overdue: bool
    escalation_level: str
    dispute_level: str
    reporter: ReporterOut
    source: str
    external_id: str | None


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CaseOut]


class AssignmentOut(Schema):
    unit: UnitRef
    role: str
    status: str
    dispatched_at: LocalDateTime
    signed_at: LocalDateTime | None
    handled_at: LocalDateTime | None
    returned_at: LocalDateTime | None
    handling_due_at: LocalDateTime | None
    feedback: str
    return_reason: str


class EventOut(Schema):
    action: str
    action_label: str
    at: LocalDateTime
    actor_label: str
    unit: str | None
    from_status: str
    to_status: str
    note: str


class AllowedAction(Schema):
    action: str
    label: str
    parameters: list[str] = Field(description="该操作接受的 JSON 参数名（均可选，version 用于并发控制）")


class CaseDetailOut(CaseOut):
    assignments: list[AssignmentOut]
    timeline: list[EventOut]
    allowed_actions: list[AllowedAction]


class DeadlineRule(Schema):
    """The limits a new case of this category gets (normal urgency). Emergencies run on
    calendar minutes/hours; everything else on working days unless the category sets minutes."""

    response_minutes: int | None
    response_working_days: int | None
    handling_working_days: int | None
    handling_hours: int | None


class CategoryOut(Schema):
    code: str
    name: str
    parent: str | None
    kind: str
    default_request_type: str | None
    is_emergency: bool = Field(description="本分类或其上级是突发事件（按小时计时）")
    deadlines: dict[str, DeadlineRule] = Field(description="诉求类型 → 默认时限")


class MetricsOut(Schema):
    group_by: str
    street: str | None
    date_from: str | None
    date_to: str | None
    results: list[dict[str, Any]] = Field(description="每组一行，字段含义见 docs/metrics.md")
    total: dict[str, Any] = Field(description="全部筛选结果的合计（同一口径）")
