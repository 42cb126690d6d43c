"""Source-governance plans under /api/v1/insights/: the plans the caller may see (the list
page's filters, insights.plan_filters), making one, one plan, every plan action through one
endpoint (its body the action's declared parameters, the version check of If-Match) and the
before/after numbers of its chart."""

from datetime import date
from enum import Enum
from typing import Any

from django.db.models import Count, QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from civicgrid.core import capabilities
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    action_bodies,
    action_request_body,
    make_etag,
    run_json_action,
)
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from ..actions.frames import PLAN_FRAME
from ..actions.plans import make_plan
from ..choices import HotspotKind, PlanStatus
from ..models import GovernancePlan
from ..plan_chart import before_after, shows_hotspot
from ..plan_filters import overdue_q
from ..plan_jobs import plans as filtered_plans

router = Router(tags=["insights"])
VIEW = "insights.plans.view"


class HotspotPlanOut(Schema):
    id: int
    title: str
    status: str
    status_label: str
    version: int
    street: str = Field(description="街道编码")
    hotspot_kind: str
    hotspot_label: str
    hotspot_params: dict[str, str] | None = Field(
        description="问题点的工单筛选条件（工单列表的参数）；责任单位读不到（null）"
    )
    owner_unit: int | None
    owner_unit_name: str
    owner: int | None
    owner_name: str
    measures: str
    deadline: date
    overdue: bool
    started_on: date
    completed_on: date | None
    result: str
    cases: int = Field(description="关联工单数")


class HotspotPlanPage(PageOut):
    results: list[HotspotPlanOut]


class PlanListFilters(Schema):
    status: PlanStatus | None = None
    street: str | None = Field(None, description="街道编码")
    overdue: bool | None = Field(None, description="true：只看逾期")
    owner_unit: int | None = Field(None, description="责任单位 id")

    def params(self) -> dict[str, Any]:
        out = {k: getattr(v, "value", v) for k, v in self.model_dump(exclude_none=True).items()}
        if "overdue" in out:
            out["overdue"] = "true" if out["overdue"] else "false"
        return out


class HotspotPlanIn(Schema):
    street: str = Field(description="街道编码")
    title: str = Field(max_length=100)
    hotspot_kind: HotspotKind = HotspotKind.OTHER
    hotspot_label: str = Field(max_length=200)
    hotspot_params: dict[str, Any] = Field(description='问题点的工单筛选条件，如 {"building": "12"}')
    measures: str
    deadline: date
    owner_unit: int | None = None
    owner: int | None = None
    case_numbers: list[str] = Field(default_factory=list, description="另外关联的工单编号")


class WeekOut(Schema):
    week: date = Field(description="周一")
    week_end: date
    count: int
    after: bool = Field(description="开始实施的那一周及以后")
    link: str = Field(description="这一周这些工单的列表（工单工作台）；责任单位为空")


class WeeklyOut(Schema):
    started_on: date
    weeks: list[WeekOut]
    average_before: float | None
    average_after: float | None
    change_percent: float | None


def plan_out(plan: GovernancePlan, user: Any) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "title": plan.title,
        "status": plan.status,
        "status_label": plan.get_status_display(),
        "version": plan.version,
        "street": plan.street.code,
        "hotspot_kind": plan.hotspot_kind,
        "hotspot_label": plan.hotspot_label,
        "hotspot_params": plan.hotspot_params if shows_hotspot(user) else None,
        "owner_unit": plan.owner_unit_id,
        "owner_unit_name": plan.owner_unit.name if plan.owner_unit else "",
        "owner": plan.owner_id,
        "owner_name": str(plan.owner) if plan.owner else "",
        "measures": plan.measures,
        "deadline": plan.deadline,
        "overdue": plan.overdue,  # type: ignore[attr-defined]
        "started_on": plan.started_on,
        "completed_on": plan.completed_on,
        "result": plan.result,
        "cases": plan.linked,  # type: ignore[attr-defined]
    }


def _visible(user: Any) -> QuerySet[GovernancePlan]:
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看源头治理方案")
    return GovernancePlan.objects.restrict(user, Action.VIEW)


def _one(user: Any, plan_id: int) -> GovernancePlan:
    qs = _visible(user).select_related("street", "owner_unit", "owner").annotate(linked=Count("cases"))
    plan = qs.filter(pk=plan_id).first() if 0 < plan_id <= MAX_ID else None
    if plan is None:
        raise NotFound("源头治理方案不存在或不在你的管辖范围内")
    plan.overdue = _visible(user).filter(overdue_q(), pk=plan.pk).exists()  # type: ignore[attr-defined]
    return plan


@router.get(
    "/plans",
    response={200: HotspotPlanPage, **READ_ERRORS},
    summary="源头治理方案",
    operation_id="insights_list_plans",
)
def list_plans(
    request: Any,
    filters_: Query[PlanListFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The plans the caller may see under the list page's filters, in its order (status, then
    deadline). An unknown street code or unit is a 400 naming `street` / `owner_unit`."""
    user = request.auth
    _visible(user)
    qs = filtered_plans(user, filters_.params())
    overdue = set(qs.filter(overdue_q()).values_list("pk", flat=True))

    def out(plan: GovernancePlan) -> dict[str, Any]:
        plan.overdue = plan.pk in overdue  # type: ignore[attr-defined]
        return plan_out(plan, user)

    return paginate(qs, page, page_size, out)


@router.post(
    "/plans",
    response={201: HotspotPlanOut, **WRITE_ERRORS},
    summary="制定源头治理方案",
    operation_id="insights_make_plan",
)
def post_plan(request: Any, response: HttpResponse, body: HotspotPlanIn) -> Status[dict[str, Any]]:
    """Makes a plan against a hotspot: its cases of the last 90 days (at most 200) and the
    given numbers are linked. A bad `hotspot_params`, a number the caller cannot see, an
    unknown unit or person is a 400 naming the field."""
    user = request.auth
    street = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET, code=body.street).first()
    if street is None:
        raise InvalidInput(f"街道编码“{body.street}”不存在", {"street": "unknown"})
    with acting_as(user, "api"):
        plan = make_plan(
            user,
            street=street,
            title=body.title,
            hotspot_kind=body.hotspot_kind.value,
            hotspot_label=body.hotspot_label,
            hotspot_params=body.hotspot_params,
            measures=body.measures,
            deadline=body.deadline,
            owner_unit=body.owner_unit,
            owner=body.owner,
            case_numbers=body.case_numbers,
        )
    made = _one(user, plan.pk)
    response["ETag"] = make_etag(made)
    return Status(201, plan_out(made, user))


@router.get(
    "/plans/{plan_id}",
    response={200: HotspotPlanOut, **READ_ERRORS},
    summary="源头治理方案详情",
    operation_id="insights_get_plan",
)
def get_plan(request: Any, response: HttpResponse, plan_id: int) -> dict[str, Any]:
    plan = _one(request.auth, plan_id)
    response["ETag"] = make_etag(plan)
    return plan_out(plan, request.auth)


@router.get(
    "/plans/{plan_id}/weekly",
    response={200: WeeklyOut, **READ_ERRORS},
    summary="源头治理方案实施前后每周工单数",
    operation_id="insights_plan_weekly",
)
def plan_weekly(request: Any, plan_id: int) -> dict[str, Any]:
    """The plan page's chart: cases at the hotspot per week, 12 weeks before the plan started
    and the weeks since (up to 26), each with the link listing those cases; the averages and
    the change in %."""
    user = request.auth
    return before_after(user, _one(user, plan_id)).as_dict()


ACTION_BODIES = action_bodies(PLAN_FRAME, "Plan", "你读到的方案版本（If-Match 亦可）；已过期则 409")
PlanActionName = Enum("PlanActionName", {a.upper(): a for a in ACTION_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/plans/{plan_id}/actions/{action}",
    response={200: HotspotPlanOut, **WRITE_ERRORS},
    summary="执行源头治理方案操作",
    operation_id="insights_plan_action",
    openapi_extra=action_request_body(ACTION_BODIES, {"version": 1, "note": "已加装楼道隔音门"}),
)
def plan_action(request: Any, response: HttpResponse, plan_id: int, action: PlanActionName) -> dict[str, Any]:
    """Runs `action` (report, revise, link, complete, cancel, reopen) with the JSON object in
    the body as its parameters. Pass the `version` you read, or the detail's ETag in
    `If-Match`: 409 for a stale version, 412 for a stale ETag; 409 also when the action is not
    allowed now, 403 when the caller's role may not take it. Photos are taken by the page only."""
    user = request.auth
    current = _one(user, plan_id)
    run_json_action(request, PLAN_FRAME, current.pk, action.value, lambda: current, make_etag)
    after = _one(user, plan_id)
    response["ETag"] = make_etag(after)
    return plan_out(after, user)
