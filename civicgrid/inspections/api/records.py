"""/api/v1/inspections/: inspection records — the list, one record with its results, and
recording one. A submit carries an idempotency key (the `Idempotency-Key` header or
`client_key`): the first is answered 201, a replay 200 with the same body and nothing written."""

from datetime import datetime
from typing import Annotated, Any

from django.db.models import Prefetch, QuerySet
from ninja import Field, Query, Router, Schema, Status

from civicgrid.core import capabilities
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import READ_ERRORS, WRITE_ERRORS, get_by_id

from ..actions import records as actions
from ..models import Inspection, Order

router = Router(tags=["inspections"])


class CheckResultOut(Schema):
    item: int
    code: str
    text: str
    severity: str
    outcome: str
    note: str


class InspectionOut(Schema):
    id: int
    place: int
    place_name: str
    task: int | None
    checklist: int
    checklist_revision: int
    purpose: str
    inspector: str | None = Field(description="检查人（仅对制定计划的角色显示）")
    joint_with: str
    inspected_at: datetime
    note: str
    passed: int
    failed: int
    not_applicable: int
    distance_m: float | None = Field(description="签到位置距场所（米）")
    far: bool = Field(description="签到距离超出街道设置的提醒距离")
    client_key: str | None
    orders: list[str] = Field(description="本次检查下达的整改通知编号")
    results: list[CheckResultOut]


class InspectionPage(PageOut):
    results: list[InspectionOut]


def inspection_out(inspection: Inspection, names: bool = False) -> dict[str, Any]:
    inspector = inspection.inspector if names else None
    return {
        "id": inspection.pk,
        "place": inspection.place_id,
        "place_name": inspection.place.name,
        "task": inspection.task_id,
        "checklist": inspection.checklist_id,
        "checklist_revision": inspection.checklist.revision,
        "purpose": inspection.purpose,
        "inspector": (inspector.full_name or inspector.username) if inspector is not None else None,
        "joint_with": inspection.joint_with,
        "inspected_at": inspection.inspected_at,
        "note": inspection.note,
        "passed": inspection.passed,
        "failed": inspection.failed,
        "not_applicable": inspection.not_applicable,
        "distance_m": inspection.distance_m,
        "far": actions.is_far(inspection),
        "client_key": inspection.client_key,
        "orders": [o.number for o in inspection.orders_given],  # type: ignore[attr-defined]
        "results": [
            {
                "item": r.item_id,
                "code": r.item.code,
                "text": r.item.text,
                "severity": r.item.severity,
                "outcome": r.outcome,
                "note": r.note,
            }
            for r in inspection.results.all()
        ],
    }


def _visible(user: Any) -> QuerySet[Inspection]:
    if not capabilities.may(user, "inspections.view"):
        raise Forbidden("你的角色不能查看检查记录")
    return (
        Inspection.objects.restrict(user, Action.VIEW)
        .select_related("place", "checklist", "inspector")
        .prefetch_related(
            "results__item",
            Prefetch(
                "orders", queryset=Order.objects.only("number", "inspection_id"), to_attr="orders_given"
            ),
        )
    )


@router.get(
    "/inspections",
    response={200: InspectionPage, **READ_ERRORS},
    summary="检查记录",
    operation_id="inspections_list_inspections",
)
def list_inspections(
    request: Any,
    place: Annotated[int | None, Query(description="只看该场所")] = None,
    task: Annotated[int | None, Query(description="只看该任务")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The inspections the caller may see, newest first."""
    qs = _visible(request.auth)
    if place is not None:
        qs = qs.filter(place_id=place)
    if task is not None:
        qs = qs.filter(task_id=task)
    names = capabilities.may(request.auth, "inspections.plan")
    return paginate(qs, page, page_size, lambda i: inspection_out(i, names))


@router.get(
    "/inspections/{inspection_id}",
    response={200: InspectionOut, **READ_ERRORS},
    summary="检查记录详情",
    operation_id="inspections_get_inspection",
)
def get_inspection(request: Any, inspection_id: int) -> dict[str, Any]:
    names = capabilities.may(request.auth, "inspections.plan")
    return inspection_out(get_by_id(_visible(request.auth), inspection_id), names)


class FindingIn(Schema):
    requirement: str = ""
    evidence_required: str = ""
    deadline_amount: int | None = None
    deadline_unit: str | None = None


class ResultIn(Schema):
    outcome: str = Field(description="pass、fail 或 na")
    note: str = ""


class RecordIn(Schema):
    place: int | None = Field(None, description="场所 id（无任务时）")
    task: int | None = Field(None, description="检查任务 id")
    results: dict[int, ResultIn] = Field(description="每个检查项（当前检查表版本的 item id）的结果")
    note: str = ""
    joint_with: str = ""
    checkin_lon: float | None = None
    checkin_lat: float | None = None
    checkin_accuracy: float | None = None
    inspected_at: datetime | None = Field(None, description="现场填写时间（7 天内）")
    client_key: str | None = Field(None, max_length=64, description="幂等键（亦可用 Idempotency-Key 头）")
    findings: dict[int, FindingIn] = Field(default_factory=dict, description="不合格项的整改要求和期限")


@router.post(
    "/inspections",
    response={200: InspectionOut, 201: InspectionOut, **WRITE_ERRORS},
    summary="记录检查",
    operation_id="inspections_record_inspection",
)
def record(request: Any, body: RecordIn) -> Status[dict[str, Any]]:
    user = request.auth
    key = request.headers.get("Idempotency-Key") or body.client_key
    if body.client_key and key != body.client_key:
        raise InvalidInput("Idempotency-Key 与 client_key 不一致", {"client_key": "mismatch"})
    existed = bool(key) and Inspection.objects.restrict(user, Action.VIEW).filter(client_key=key).exists()
    with acting_as(user, "api"):
        inspection = actions.record_inspection(
            user,
            place=body.place,
            task=body.task,
            results={pk: r.dict() for pk, r in body.results.items()},
            note=body.note,
            joint_with=body.joint_with,
            checkin_lon=body.checkin_lon,
            checkin_lat=body.checkin_lat,
            checkin_accuracy=body.checkin_accuracy,
            inspected_at=body.inspected_at,
            client_key=key,
            findings={pk: f.dict() for pk, f in body.findings.items()},
        )
    return Status(200 if existed else 201, inspection_out(get_by_id(_visible(user), inspection.pk)))
