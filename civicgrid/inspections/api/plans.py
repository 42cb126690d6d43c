"""/api/v1/inspections/: plans (list, create, one) and the tasks they give (list with filters,
one, their actions through one endpoint whose bodies come from the task machine's table).
Unannounced plans and tasks are hidden by `restrict()` like on the pages."""

from datetime import date
from enum import Enum
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from civicgrid.core import capabilities, clock
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    action_bodies,
    action_request_body,
    get_by_id,
    make_etag,
    run_json_action,
)
from civicgrid.geo.models import Area

from ..actions import plans as actions
from ..actions.frames import TASK_FRAME
from ..choices import TaskPurpose, TaskStatus
from ..models import Plan, Task
from ..task_filters import TaskFilterSet
from ..workflow import inspectors, units

router = Router(tags=["inspections"])


class PlanOut(Schema):
    id: int
    title: str
    kind: str
    recurrence: str
    place_kinds: list[str]
    area: int | None
    starts_on: date
    ends_on: date | None
    coverage_target: int | None
    unannounced: bool
    assignee: int | None
    unit: int | None
    active: bool
    version: int


class PlanPage(PageOut):
    results: list[PlanOut]


class TaskOut(Schema):
    id: int
    place: int
    place_name: str
    plan: int | None
    order: int | None
    purpose: str
    status: str
    due_on: date
    overdue: bool
    assignee: int | None
    unit: int | None
    unannounced: bool
    inspection: int | None
    version: int


class TaskPage(PageOut):
    results: list[TaskOut]


def plan_out(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "title": plan.title,
        "kind": plan.kind,
        "recurrence": plan.recurrence,
        "place_kinds": plan.place_kinds,
        "area": plan.area_id,
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
        "coverage_target": plan.coverage_target,
        "unannounced": plan.unannounced,
        "assignee": plan.assignee_id,
        "unit": plan.unit_id,
        "active": plan.active,
        "version": plan.version,
    }


def task_out(task: Task) -> dict[str, Any]:
    return {
        "id": task.pk,
        "place": task.place_id,
        "place_name": task.place.name,
        "plan": task.plan_id,
        "order": task.order_id,
        "purpose": task.purpose,
        "status": task.status,
        "due_on": task.due_on,
        "overdue": task.status == TaskStatus.OPEN and task.due_on < clock.today(),
        "assignee": task.assignee_id,
        "unit": task.unit_id,
        "unannounced": task.unannounced,
        "inspection": task.inspection_id,
        "version": task.version,
    }


def _plans(user: Any) -> QuerySet[Plan]:
    if not capabilities.may(user, "inspections.view"):
        raise Forbidden("你的角色不能查看检查计划")
    return Plan.objects.restrict(user, Action.VIEW)


def _tasks(user: Any) -> QuerySet[Task]:
    if not capabilities.may(user, "inspections.view"):
        raise Forbidden("你的角色不能查看检查任务")
    return Task.objects.restrict(user, Action.VIEW).select_related("place")


@router.get(
    "/plans",
    response={200: PlanPage, **READ_ERRORS},
    summary="检查计划",
    operation_id="inspections_list_plans",
)
def list_plans(request: Any, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE) -> dict[str, Any]:
    return paginate(_plans(request.auth), page, page_size, plan_out)


class PlanIn(Schema):
    title: str
    kind: str = "recurring"
    recurrence: str = "monthly"
    place_kinds: list[str] = Field(default_factory=list)
    area: int | None = Field(None, description="范围（社区或网格 id；空为全街道）")
    starts_on: date | None = None
    ends_on: date | None = None
    coverage_target: int | None = None
    assignee: int | None = None
    unit: int | None = None
    note: str = ""


def _in_scope(qs: QuerySet[Any], pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    found = qs.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(f"{field} 不存在或不在你的管辖范围内", {field: "invalid"})
    return found


@router.post(
    "/plans",
    response={201: PlanOut, **WRITE_ERRORS},
    summary="制定检查计划",
    operation_id="inspections_create_plan",
)
def create_plan(request: Any, body: PlanIn) -> Status[dict[str, Any]]:
    """A plan in the caller's street; its current period's tasks are generated at once."""
    user = request.auth
    street = actions.actor_street(user)
    fields = body.dict(exclude={"area", "assignee", "unit"})
    fields["street"] = street
    areas = Area.objects.restrict(user, Action.VIEW)
    fields["area"] = _in_scope(areas, body.area, "area")
    fields["assignee"] = _in_scope(inspectors(user), body.assignee, "assignee")
    fields["unit"] = _in_scope(units(user), body.unit, "unit")
    with acting_as(user, "api"):
        plan = actions.save_plan(user, **fields)
    return Status(201, plan_out(plan))


@router.get(
    "/plans/{plan_id}",
    response={200: PlanOut, **READ_ERRORS},
    summary="检查计划详情",
    operation_id="inspections_get_plan",
)
def get_plan(request: Any, plan_id: int) -> dict[str, Any]:
    return plan_out(get_by_id(_plans(request.auth), plan_id))


@router.get(
    "/tasks",
    response={200: TaskPage, **READ_ERRORS},
    summary="检查任务",
    operation_id="inspections_list_tasks",
)
def list_tasks(
    request: Any,
    mine: Annotated[bool | None, Query(description="只看派给我的")] = None,
    status: Annotated[TaskStatus | None, Query(description="状态")] = None,
    purpose: Annotated[TaskPurpose | None, Query(description="任务类型")] = None,
    overdue: Annotated[bool | None, Query(description="只看逾期")] = None,
    due: Annotated[Literal["week"] | None, Query(description="week：本周到期（含逾期）")] = None,
    plan: Annotated[int | None, Query(description="只看该计划")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The tasks the caller may see under the task page's filters (TaskFilterSet)."""
    sent = {"mine": mine, "status": status, "purpose": purpose, "overdue": overdue, "due": due, "plan": plan}
    params = {
        name: (str(value).lower() if isinstance(value, bool) else getattr(value, "value", value))
        for name, value in sent.items()
        if value is not None
    }
    qs = TaskFilterSet(params, _tasks(request.auth), user=request.auth).checked()
    return paginate(qs, page, page_size, task_out)


@router.get(
    "/tasks/{task_id}",
    response={200: TaskOut, **READ_ERRORS},
    summary="检查任务详情",
    operation_id="inspections_get_task",
)
def get_task(request: Any, task_id: int) -> dict[str, Any]:
    return task_out(get_by_id(_tasks(request.auth), task_id))


ACTION_BODIES = action_bodies(TASK_FRAME, "InspectionTask", "你读到的检查任务版本；已过期则 409")
TaskActionName = Enum("TaskActionName", {a.upper(): a for a in ACTION_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/tasks/{task_id}/actions/{action}",
    response={200: TaskOut, **WRITE_ERRORS},
    summary="执行检查任务操作",
    operation_id="inspections_task_action",
    openapi_extra=action_request_body(ACTION_BODIES, {"version": 1, "note": "场所已停业"}),
)
def task_action(request: Any, response: HttpResponse, task_id: int, action: TaskActionName) -> dict[str, Any]:
    """Reassign or cancel a task (completing one is recording its inspection: POST /inspections).
    Pass the `version` you read, or the detail's ETag in `If-Match` (412 when stale)."""
    user = request.auth
    task = run_json_action(
        request, TASK_FRAME, task_id, action.value, lambda: get_by_id(_tasks(user), task_id), make_etag
    )
    after = get_by_id(_tasks(user), task.pk)
    response["ETag"] = make_etag(after)
    return task_out(after)
