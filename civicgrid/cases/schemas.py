"""Shapes of the work-order API (/api/v1/), documented in the OpenAPI schema.

Conventions:
- Times are ISO 8601 with the Asia/Shanghai offset ("2026-03-02T09:00:00+08:00").
- Areas (street, residential_area, grid) are `{"code": ..., "name": ...}`; the code is the
  stable key (filters take it), the name is for people. Units are `{"id": ..., "name": ...}`.
- Enumerations (status, request_type, channel, …) are the codes of cases.choices; the
  matching `*_label` field, where given, is the Chinese label.
"""

from datetime import datetime
from typing import Any

from django.db import models
from ninja import Schema
from pydantic import ConfigDict, Field

# The error shape, the local-time serialiser and the references to areas and units are shared
# with the geo and orgs routers (one schema per name in the OpenAPI document).
from civicgrid.core.pagination import PageOut
from civicgrid.core.rest import AreaRef, LocalDateTime
from civicgrid.orgs.schemas import UnitRef

from .choices import Channel, PlaceStatus, PublicStatus, RequestType, Urgency


class CategoryRef(Schema):
    code: str
    name: str


class Reveal(models.TextChoices):
    """Masked personal fields a case read may ask for in full (`?reveal=`)."""

    PHONE = "phone", "诉求人电话"
    DESCRIPTION = "description", "诉求内容"


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
    category: str | None = Field(
        default=None,
        description="问题分类编码，如 E2105。必填：缺少时 400，"
        "错误说明附智能派单的建议分类（街道已训练模型时）",
    )
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
    street: str | None = Field(
        default=None,
        description="所属街道编码（须在调用者的街道内）：位置无法定位在该街道内时，工单仍登记在此街道，"
        "标记为待定位（place_status=to_locate）；缺省为调用者唯一的街道",
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
    place_status: PlaceStatus = Field(description="located：已定位；to_locate：待定位（由调度员更正位置）")
    grid_conflict: bool = Field(description="定位点与楼栋不在同一网格，待调度员选定网格")
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


class CasePage(PageOut):
    results: list[CaseOut]


class PublicStepOut(Schema):
    at: LocalDateTime
    text: str = Field(description="对居民的表述（如“已派至处置单位”），不含人员、单位和备注")


class PublicCaseOut(Schema):
    """A case as its reporter reads it with a resident's token: exactly what the public
    tracking page shows (cases.public), no staff names, units, notes or feedback."""

    number: str
    category: CategoryRef
    received_at: LocalDateTime
    status: PublicStatus = Field(description="对居民的状态（中间环节均为 in_progress）；合并的工单取主单状态")
    status_label: str
    result: str = Field(description="办理结果：办结或不予受理后才有，其中的电话、身份证号、车牌已打码")
    steps: list[PublicStepOut] = Field(description="办理进度（公开步骤，时间顺序）")


class PublicCasePage(PageOut):
    results: list[PublicCaseOut]


class PublicStepPage(PageOut):
    results: list[PublicStepOut]


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
    id: int
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


class PhotoOut(Schema):
    id: int
    stage: str = Field(description="before 处置前（现场）/ after 处置后")
    stage_label: str
    width: int
    height: int
    uploaded_at: LocalDateTime
    uploaded_by: str | None
    event: int | None = Field(description="随之写入的工单动态 id")
    url: str = Field(description="原图（需同一令牌；GET /cases/{ref}/photos/{id}）")
    thumbnail_url: str = Field(description="缩略图（?size=thumb）")


class CallbackOut(Schema):
    at: LocalDateTime
    by: str | None
    contacted: bool
    resolution: str
    resolution_label: str
    satisfaction: str
    satisfaction_label: str
    note: str


class SupervisionOut(Schema):
    kind: str
    kind_label: str
    at: LocalDateTime
    by: str | None = Field(description="督办人；系统自动督办时为空")
    unit: UnitRef | None
    note: str


class ExtensionOut(Schema):
    unit: UnitRef
    requested_at: LocalDateTime
    requested_by: str | None
    working_days: int
    reason: str
    status: str
    status_label: str
    decided_at: LocalDateTime | None
    decided_by: str | None
    decision_note: str
    old_due_at: LocalDateTime | None
    new_due_at: LocalDateTime | None


class CaseDetailOut(CaseOut):
    assignments: list[AssignmentOut]
    timeline: list[EventOut]
    allowed_actions: list[AllowedAction]
    photos: list[PhotoOut]
    callbacks: list[CallbackOut] = Field(description="回访记录")
    supervisions: list[SupervisionOut] = Field(description="督办记录（新的在前）")
    extensions: list[ExtensionOut] = Field(description="延期申请（新的在前）")
    merged_cases: list[str] = Field(description="合并到本单的工单编号（本人可见的）")


class EventPage(PageOut):
    results: list[EventOut]


class PhotoPage(PageOut):
    results: list[PhotoOut]


class PhotoUploadOut(Schema):
    version: int = Field(description="上传后工单的版本号（下一次操作回传）")
    event: EventOut
    photos: list[PhotoOut]


class DutyOut(Schema):
    id: int
    category: CategoryRef
    area: AreaRef
    area_kind: str
    lead_unit: UnitRef
    co_units: list[UnitRef] = Field(description="协办单位（吹哨报到）")
    is_active: bool
    note: str
    updated_at: LocalDateTime


class DutyPage(PageOut):
    results: list[DutyOut]


class CaseRef(Schema):
    id: int
    number: str


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    text: str
    case: CaseRef | None = Field(description="所涉工单；关于其他对象或不涉及对象的通知为 null")
    url: str = Field(
        description=(
            "通知所涉对象的网页（站内绝对路径，如 /cases/310101001-2026-000123/，写入通知时确定）；"
            "没有网页时为空字符串"
        )
    )
    created_at: LocalDateTime
    read_at: LocalDateTime | None


class NotificationPage(PageOut):
    results: list[NotificationOut]


class ReadAllOut(Schema):
    updated: int = Field(description="本次标为已读的条数")


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
