"""Practical projects under /api/v1/programmes/: the projects the caller may see (filters year,
street, status, category), one with its targets, milestones and progress (ETag), a new one, a
change of its plan (If-Match / version), the machine's steps, its targets, milestones (and
their steps), progress reports and linked cases (link and unlink by case number)."""

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from civicgrid.cases.models import Case
from civicgrid.core import capabilities
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    NOT_MODIFIED,
    READ_ERRORS,
    WRITE_ERRORS,
    AreaRef,
    LocalDateTime,
    action_bodies,
    action_request_body,
    check_if_match,
    make_etag,
    not_modified,
    run_json_action,
)
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .. import progress
from ..actions import projects as writers
from ..actions.frames import MILESTONE_FRAME, PROJECT_FRAME
from ..choices import MilestoneStatus, ProjectCategory, ProjectStatus
from ..filters import ProjectFilterSet, api_params, filtered
from ..models import ProgressReport, Project, ProjectMilestone, Target
from ..workflow import PROJECT_MACHINE

router = Router(tags=["programmes"])
VIEW = "programmes.view"
MISSING = "实事项目不存在或不在你的管辖范围内"


class TargetOut(Schema):
    id: int
    name: str
    unit: str
    goal: Decimal
    reached: Decimal
    progress: Decimal = Field(description="本指标完成百分比（封顶 100）")


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: date
    done_on: date | None
    status: MilestoneStatus
    supervisions: int
    version: int


class ProjectOut(Schema):
    id: int
    street: AreaRef
    year: int
    parent: int | None
    title: str
    category: ProjectCategory
    owner_unit: int | None
    owner: str = Field(description="责任单位或责任科室的名称")
    budget: Decimal | None = Field(description="预算（万元）")
    starts_on: date
    ends_on: date
    weight: int
    status: ProjectStatus
    progress: Decimal = Field(description="完成进度（%）：叶子项目按目标，上级项目按子项目加权")
    version: int


class ProjectPage(PageOut):
    results: list[ProjectOut]


class ProjectDetailOut(ProjectOut):
    description: str
    area: AreaRef | None
    case_categories: list[str] = Field(description="关联工单类别编码")
    children: list[int]
    targets: list[TargetOut]
    milestones: list[MilestoneOut]
    actions: list[str] = Field(description="调用者现在可以执行的操作")


class ProjectIn(Schema):
    street: str = Field(description="街道编码")
    year: int = Field(ge=2000, le=2100)
    title: str = Field(max_length=120)
    category: ProjectCategory
    starts_on: date
    ends_on: date
    description: str = Field("", max_length=5000)
    owner_unit: int | None = Field(None, ge=1, le=MAX_ID, description="责任单位 id（与责任科室二者选一）")
    owner_office: str = Field("", max_length=60)
    budget: Decimal | None = Field(None, ge=0, le=10**9, description="预算（万元）")
    area: str | None = Field(None, max_length=32, description="实施地点（居民区编码）")
    parent: int | None = Field(None, ge=1, le=MAX_ID)
    weight: int = Field(1, ge=1, le=100)
    case_categories: list[str] = Field(default_factory=list, max_length=50, description="工单类别编码")


class ProjectPatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not a silent no-op

    version: int | None = Field(None, description="你读到的版本（If-Match 亦可）；已过期则 409")
    title: str | None = Field(None, max_length=120)
    category: ProjectCategory | None = None
    description: str | None = Field(None, max_length=5000)
    owner_unit: int | None = Field(None, ge=1, le=MAX_ID)
    owner_office: str | None = Field(None, max_length=60)
    budget: Decimal | None = Field(None, ge=0, le=10**9)
    starts_on: date | None = None
    ends_on: date | None = None
    area: str | None = Field(None, max_length=32)
    parent: int | None = Field(None, ge=1, le=MAX_ID)
    weight: int | None = Field(None, ge=1, le=100)
    case_categories: list[str] | None = Field(None, max_length=50)


class TargetIn(Schema):
    name: str = Field(max_length=60)
    unit: str = Field(max_length=12)
    goal: Decimal = Field(gt=0, le=10**9)


class MilestoneIn(Schema):
    title: str = Field(max_length=80)
    due_on: date


class ProjectReportOut(Schema):
    id: int
    target: int | None
    value: Decimal | None
    reported_on: date
    note: str
    created_at: LocalDateTime


class LinkedCaseOut(Schema):
    number: str
    category: str
    received_at: LocalDateTime
    status: str
    by_hand: bool = Field(description="手动关联（否则按关联工单类别计入）")


class LinkedPage(PageOut):
    results: list[LinkedCaseOut]


class CaseNumberIn(Schema):
    number: str = Field(max_length=32, description="工单编号")


class ProjectFilters(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    street: str | None = Field(None, max_length=32, description="街道编码")
    status: ProjectStatus | None = None
    category: ProjectCategory | None = None


# ---------------------------------------------------------------------------- look-ups


def _projects(user: Any) -> QuerySet[Project]:
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看实事项目")
    return (
        Project.objects.restrict(user, Action.VIEW)
        .select_related("street", "owner_unit")
        .order_by("-year", "id")
    )


def _project(user: Any, project_id: int) -> Project:
    found = _projects(user).filter(pk=project_id).first() if 0 < project_id <= MAX_ID else None
    if found is None:
        raise NotFound(MISSING)
    return found


def _area(user: Any, code: str | None, street: bool = False) -> Area | None:
    if not code:
        return None
    rows = Area.objects.restrict(user, Action.VIEW).filter(code=code)
    found = rows.filter(kind=AreaKind.STREET).first() if street else rows.first()
    if found is None:
        field = "street" if street else "area"
        raise InvalidInput(f"地区编码“{code}”不存在", {field: "unknown"})
    return found


def _categories(codes: list[str]) -> list[int]:
    from civicgrid.cases.models import Category

    found = dict(Category.objects.filter(code__in=codes).values_list("code", "pk"))
    if len(found) != len(set(codes)):
        raise InvalidInput("工单类别编码不存在", {"case_categories": "unknown"})
    return list(found.values())


def project_out(p: Project) -> dict[str, Any]:
    return {
        "id": p.pk,
        "street": {"code": p.street.code, "name": p.street.name},
        "year": p.year,
        "parent": p.parent_id,
        "title": p.title,
        "category": p.category,
        "owner_unit": p.owner_unit_id,
        "owner": p.owner_name,
        "budget": p.budget,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "weight": p.weight,
        "status": p.status,
        "progress": p.progress,
        "version": p.version,
    }


def _milestone_out(m: ProjectMilestone) -> dict[str, Any]:
    return {
        "id": m.pk,
        "title": m.title,
        "due_on": m.due_on,
        "done_on": m.done_on,
        "status": m.status,
        "supervisions": m.supervisions,
        "version": m.version,
    }


def _parts(user: Any, project: Project) -> tuple[list[Target], list[ProjectMilestone]]:
    targets = list(Target.objects.restrict(user, Action.VIEW).filter(project=project))
    milestones = list(ProjectMilestone.objects.restrict(user, Action.VIEW).filter(project=project))
    return targets, milestones


def _etag(user: Any, project: Project) -> str:
    targets, milestones = _parts(user, project)
    return make_etag(project, *targets, *milestones, user.pk)


def detail_out(user: Any, project: Project) -> dict[str, Any]:
    targets, milestones = _parts(user, project)
    area = project.area
    return {
        **project_out(project),
        "description": project.description,
        "area": {"code": area.code, "name": area.name} if area else None,
        "case_categories": list(project.case_categories.values_list("code", flat=True)),
        "children": list(
            Project.objects.restrict(user, Action.VIEW).filter(parent=project).values_list("pk", flat=True)
        ),
        "targets": [
            {
                "id": t.pk,
                "name": t.name,
                "unit": t.unit,
                "goal": t.goal,
                "reached": t.reached,
                "progress": progress.share(t.reached, t.goal).quantize(Decimal("0.01")),
            }
            for t in targets
        ],
        "milestones": [_milestone_out(m) for m in milestones],
        "actions": PROJECT_MACHINE.allowed_actions(project, user),
    }


# ---------------------------------------------------------------------------- projects


@router.get(
    "/projects",
    response={200: ProjectPage, **READ_ERRORS},
    summary="实事项目",
    operation_id="programmes_list_projects",
)
def list_projects(
    request: Any,
    filters_: Query[ProjectFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    qs = filtered(ProjectFilterSet, api_params(filters_), _projects(request.auth), request.auth)
    return paginate(qs, page, page_size, project_out)


@router.post(
    "/projects",
    response={201: ProjectDetailOut, **WRITE_ERRORS},
    summary="新建实事项目",
    operation_id="programmes_create_project",
)
def post_project(request: Any, body: ProjectIn) -> Status[dict[str, Any]]:
    """403 unless the caller plans the street's projects; 400 naming the field for a missing
    owner (or both), a period outside the year, a parent of another street or year, one with
    targets, an unknown area or case category."""
    user = request.auth
    street = _area(user, body.street, street=True)
    with acting_as(user, "api"):
        made = writers.create_project(
            user,
            street=street,
            year=body.year,
            title=body.title,
            category=body.category.value,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            description=body.description,
            owner_unit=body.owner_unit,
            owner_office=body.owner_office,
            budget=body.budget,
            area=_area(user, body.area),
            parent=body.parent,
            weight=body.weight,
            case_categories=_categories(body.case_categories),
        )
    return Status(201, detail_out(user, _project(user, made.pk)))


@router.get(
    "/projects/{project_id}",
    response={200: ProjectDetailOut, **NOT_MODIFIED, **READ_ERRORS},
    summary="实事项目详情（目标、节点、进度）",
    operation_id="programmes_get_project",
)
def get_project(request: Any, response: HttpResponse, project_id: int) -> Any:
    user = request.auth
    project = _project(user, project_id)
    if not_modified(request, response, _etag(user, project)):
        return Status(304, None)
    return detail_out(user, project)


@router.patch(
    "/projects/{project_id}",
    response={200: ProjectDetailOut, **WRITE_ERRORS},
    summary="修改实事项目",
    operation_id="programmes_update_project",
)
def patch_project(
    request: Any, response: HttpResponse, project_id: int, body: ProjectPatch
) -> dict[str, Any]:
    """Only the fields given change. Pass the `version` you read or the detail's ETag in
    If-Match: 412 for a stale ETag, 409 for a stale version (or a cancelled project)."""
    user = request.auth
    project = _project(user, project_id)
    check_if_match(request, _etag(user, project))
    given = body.dict(exclude_unset=True)
    version = given.pop("version", None)
    if version is None and "If-Match" in request.headers:
        version = project.version
    if "area" in given:
        given["area"] = _area(user, given["area"])
    if "case_categories" in given:
        given["case_categories"] = _categories(given["case_categories"] or [])
    if "category" in given and given["category"] is not None:
        given["category"] = ProjectCategory(given["category"]).value
    with acting_as(user, "api"):
        writers.update_project(user, project, version=version, **given)
    after = _project(user, project_id)
    response["ETag"] = _etag(user, after)
    return detail_out(user, after)


PROJECT_BODIES = action_bodies(PROJECT_FRAME, "Project", "你读到的项目版本（If-Match 亦可）；已过期则 409")
ProjectActionName = Enum("ProjectActionName", {a.upper(): a for a in PROJECT_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/projects/{project_id}/actions/{action}",
    response={200: ProjectDetailOut, **WRITE_ERRORS},
    summary="办理实事项目（发布、报告进展、完成、重新实施、取消）",
    operation_id="programmes_project_action",
    openapi_extra=action_request_body(PROJECT_BODIES, {"target": 1, "value": 180, "note": "已完成 180 户"}),
)
def project_action(
    request: Any, response: HttpResponse, project_id: int, action: ProjectActionName
) -> dict[str, Any]:
    """Runs `action` with the JSON body as its parameters (photos only through the page).
    409 when the step is not allowed now (e.g. completing with a target unmet) or the version
    is stale, 412 for a stale If-Match, 403 when the role may not take it, 400 naming a bad
    parameter."""
    user = request.auth
    current = _project(user, project_id)
    run_json_action(
        request, PROJECT_FRAME, current.pk, action.value, lambda: current, lambda p: _etag(user, p)
    )
    after = _project(user, project_id)
    response["ETag"] = _etag(user, after)
    return detail_out(user, after)


# ---------------------------------------------------------------------------- its parts


@router.get(
    "/projects/{project_id}/targets",
    response={200: list[TargetOut], **READ_ERRORS},
    summary="实事项目的量化目标",
    operation_id="programmes_list_targets",
)
def list_targets(request: Any, project_id: int) -> list[dict[str, Any]]:
    user = request.auth
    out: list[dict[str, Any]] = detail_out(user, _project(user, project_id))["targets"]
    return out


@router.post(
    "/projects/{project_id}/targets",
    response={201: list[TargetOut], **WRITE_ERRORS},
    summary="增加量化目标",
    operation_id="programmes_add_target",
)
def post_target(request: Any, project_id: int, body: TargetIn) -> Status[list[dict[str, Any]]]:
    """409 when the project has children (its progress is theirs) or is done or cancelled."""
    user = request.auth
    project = _project(user, project_id)
    with acting_as(user, "api"):
        writers.add_target(user, project, name=body.name, unit=body.unit, goal=body.goal)
    return Status(201, detail_out(user, _project(user, project_id))["targets"])


@router.get(
    "/projects/{project_id}/milestones",
    response={200: list[MilestoneOut], **READ_ERRORS},
    summary="实事项目的节点",
    operation_id="programmes_list_milestones",
)
def list_milestones(request: Any, project_id: int) -> list[dict[str, Any]]:
    user = request.auth
    _targets, milestones = _parts(user, _project(user, project_id))
    return [_milestone_out(m) for m in milestones]


@router.post(
    "/projects/{project_id}/milestones",
    response={201: MilestoneOut, **WRITE_ERRORS},
    summary="增加节点",
    operation_id="programmes_add_milestone",
)
def post_milestone(request: Any, project_id: int, body: MilestoneIn) -> Status[dict[str, Any]]:
    user = request.auth
    project = _project(user, project_id)
    with acting_as(user, "api"):
        made = writers.add_milestone(user, project, title=body.title, due_on=body.due_on)
    return Status(201, _milestone_out(made))


MILESTONE_BODIES = action_bodies(MILESTONE_FRAME, "Milestone", "你读到的节点版本；已过期则 409")
MilestoneActionName = Enum("MilestoneActionName", {a.upper(): a for a in MILESTONE_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/milestones/{milestone_id}/actions/{action}",
    response={200: MilestoneOut, **WRITE_ERRORS},
    summary="办理节点（完成、督办、调整日期）",
    operation_id="programmes_milestone_action",
    openapi_extra=action_request_body(MILESTONE_BODIES, {"note": "请月底前完成招标"}),
)
def milestone_action(
    request: Any, response: HttpResponse, milestone_id: int, action: MilestoneActionName
) -> dict[str, Any]:
    user = request.auth
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看实事项目")
    rows = ProjectMilestone.objects.restrict(user, Action.VIEW)
    current = rows.filter(pk=milestone_id).first() if 0 < milestone_id <= MAX_ID else None
    if current is None:
        raise NotFound("项目节点不存在或不在你的管辖范围内")
    etag = lambda m: make_etag(m, user.pk)  # noqa: E731
    done = run_json_action(request, MILESTONE_FRAME, current.pk, action.value, lambda: current, etag)
    response["ETag"] = etag(done)
    return _milestone_out(done)


@router.get(
    "/projects/{project_id}/reports",
    response={200: list[ProjectReportOut], **READ_ERRORS},
    summary="进展报告（新的在前）",
    operation_id="programmes_list_reports",
)
def list_reports(request: Any, project_id: int) -> list[dict[str, Any]]:
    user = request.auth
    project = _project(user, project_id)
    rows = ProgressReport.objects.restrict(user, Action.VIEW).filter(project=project)
    return [
        {
            "id": r.pk,
            "target": r.target_id,
            "value": r.value,
            "reported_on": r.reported_on,
            "note": r.note,
            "created_at": r.created_at,
        }
        for r in rows
    ]


@router.get(
    "/projects/{project_id}/cases",
    response={200: LinkedPage, **READ_ERRORS},
    summary="关联工单（手动关联及按类别计入的）",
    operation_id="programmes_list_cases",
)
def list_cases(
    request: Any, project_id: int, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    user = request.auth
    project = _project(user, project_id)
    by_hand = set(project.case_links.values_list("case_id", flat=True))
    cases = progress.linked_cases(project, Case.objects.restrict(user, Action.VIEW))
    return paginate(
        cases.select_related("category").order_by("-received_at", "-id"),
        page,
        page_size,
        lambda c: {
            "number": c.number,
            "category": c.category.code,
            "received_at": c.received_at,
            "status": c.status,
            "by_hand": c.pk in by_hand,
        },
    )


@router.post(
    "/projects/{project_id}/cases",
    response={201: LinkedCaseOut, **WRITE_ERRORS},
    summary="按编号关联工单",
    operation_id="programmes_link_case",
)
def link_case(request: Any, project_id: int, body: CaseNumberIn) -> Status[dict[str, Any]]:
    """400 for a number the caller cannot see in the project's street, 409 when already linked."""
    user = request.auth
    project = _project(user, project_id)
    with acting_as(user, "api"):
        link = writers.link_case(user, project, number=body.number)
    case = link.case
    return Status(
        201,
        {
            "number": case.number,
            "category": case.category.code,
            "received_at": case.received_at,
            "status": case.status,
            "by_hand": True,
        },
    )


@router.post(
    "/projects/{project_id}/cases/unlink",
    response={204: None, **WRITE_ERRORS},
    summary="取消关联工单",
    operation_id="programmes_unlink_case",
)
def unlink_case(request: Any, project_id: int, body: CaseNumberIn) -> Status[None]:
    """404 when the case is not linked by hand."""
    user = request.auth
    project = _project(user, project_id)
    with acting_as(user, "api"):
        writers.unlink_case(user, project, number=body.number)
    return Status(204, None)
