"""/api/v1/inspections/: group renting — the register (list, register incl. from a case number,
detail, every entry action through one endpoint), the sweep's flat checks and its coverage."""

from datetime import date, timedelta
from enum import Enum
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from civicgrid.core import capabilities, clock
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound
from civicgrid.core.inputs import date_problem
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    action_bodies,
    action_request_body,
    make_etag,
    run_json_action,
)

from .. import coverage as cov
from ..actions import renting as actions
from ..actions.frames import RENT_FRAME
from ..choices import FlatFinding, RentStatus
from ..models import FlatCheck, RentEntry
from ..workflow import clean_checks_required

router = Router(tags=["inspections"])
RENTING = "inspections.renting"


class RentEntryOut(Schema):
    id: int
    status: str
    status_label: str
    version: int
    flat: int
    flat_label: str = Field(description="房屋（楼栋地址与室号）")
    place: int
    case: str | None = Field(description="来源工单编号")
    clue: str
    joint_with: str
    tenants: int
    partitions_removed: int
    tenants_informed: bool
    clean_checks: int
    clean_checks_required: int = Field(description="街道设置的销号所需连续无反弹复查次数")
    last_checked_on: date | None
    next_check_on: date | None
    closed_at: Any = None


class RentEntryPage(PageOut):
    results: list[RentEntryOut]


class RegisterIn(Schema):
    flat: int = Field(description="房屋 id")
    clue: str = Field("", description="线索")
    case: str | None = Field(None, description="来源工单编号")


class FlatFindingIn(Schema):
    flat: int
    finding: FlatFinding
    note: str = ""


class FlatChecksIn(Schema):
    building: int = Field(description="楼栋 id")
    checked_on: date | None = Field(None, description="检查日期（默认今天）")
    task: int | None = None
    findings: list[FlatFindingIn]


class FlatCheckOut(Schema):
    id: int
    flat: int
    building: int
    checked_on: date
    finding: str
    entry: int | None
    note: str


class FlatCheckPage(PageOut):
    results: list[FlatCheckOut]


class CoverageRowOut(Schema):
    id: int | None
    name: str
    flats: int
    flats_checked: int
    floors: int
    floors_checked: int


class CoverageOut(Schema):
    since: date
    until: date
    areas: list[CoverageRowOut]
    buildings: list[CoverageRowOut]


def entry_out(entry: RentEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "status": entry.status,
        "status_label": entry.get_status_display(),
        "version": entry.version,
        "flat": entry.flat_id,
        "flat_label": str(entry.flat),
        "place": entry.place_id,
        "case": entry.case.number if entry.case is not None else None,
        "clue": entry.clue,
        "joint_with": entry.joint_with,
        "tenants": entry.tenants,
        "partitions_removed": entry.partitions_removed,
        "tenants_informed": entry.tenants_informed,
        "clean_checks": entry.clean_checks,
        "clean_checks_required": clean_checks_required(entry.street_id),
        "last_checked_on": entry.last_checked_on,
        "next_check_on": entry.next_check_on,
        "closed_at": entry.closed_at,
    }


def _visible(user: Any) -> QuerySet[RentEntry]:
    if not capabilities.may(user, RENTING):
        raise Forbidden("你的角色不能查看群租登记")
    return RentEntry.objects.restrict(user, Action.VIEW).select_related("flat__building", "case")


def _one(user: Any, entry_id: int) -> RentEntry:
    entry = _visible(user).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("群租登记不存在或不在你的管辖范围内")
    return entry


@router.get(
    "/rent-entries",
    response={200: RentEntryPage, **READ_ERRORS},
    summary="群租登记",
    operation_id="inspections_list_rent_entries",
)
def list_entries(
    request: Any,
    status: Annotated[RentStatus | None, Query(description="状态")] = None,
    case: Annotated[str, Query(description="来源工单编号")] = "",
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    qs = _visible(request.auth)
    if status is not None:
        qs = qs.filter(status=status)
    if case:
        qs = qs.filter(case__number=case)
    return paginate(qs, page, page_size, entry_out)


@router.post(
    "/rent-entries",
    response={201: RentEntryOut, **WRITE_ERRORS},
    summary="登记群租线索",
    operation_id="inspections_register_rent",
)
def register_entry(request: Any, body: RegisterIn) -> Status[dict[str, Any]]:
    """登记一户群租线索（可带来源工单编号）；该房屋已有未销号登记时 409。"""
    user = request.auth
    with acting_as(user, "api"):
        if body.case:
            entry = actions.register_from_case(user, body.case, body.flat, body.clue)
        else:
            entry = actions.register(user, flat=body.flat, clue=body.clue)
    return Status(201, entry_out(_one(user, entry.pk)))


@router.get(
    "/rent-entries/{entry_id}",
    response={200: RentEntryOut, **READ_ERRORS},
    summary="群租登记详情",
    operation_id="inspections_get_rent_entry",
)
def get_entry(request: Any, response: HttpResponse, entry_id: int) -> dict[str, Any]:
    entry = _one(request.auth, entry_id)
    response["ETag"] = make_etag(entry)
    return entry_out(entry)


ACTION_BODIES = action_bodies(RENT_FRAME, "Rent", "你读到的群租登记版本（If-Match 亦可）；已过期则 409")
RentActionName = Enum("RentActionName", {a.upper(): a for a in ACTION_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/rent-entries/{entry_id}/actions/{action}",
    response={200: RentEntryOut, **WRITE_ERRORS},
    summary="执行群租整治操作",
    operation_id="inspections_rent_action",
    openapi_extra=action_request_body(
        ACTION_BODIES,
        {
            "version": 1,
            "partitions_removed": 3,
            "tenants_informed": True,
            "note": "已拆除",
        },
    ),
)
def entry_action(
    request: Any, response: HttpResponse, entry_id: int, action: RentActionName
) -> dict[str, Any]:
    """Runs `action` (confirm, dismiss, rectify, check_clean, check_relapse) with the JSON object
    in the body as its parameters; 409 for a stale version or an action not allowed now."""
    user = request.auth
    entry = run_json_action(
        request, RENT_FRAME, entry_id, action.value, lambda: _one(user, entry_id), make_etag
    )
    after = _one(user, entry.pk)
    response["ETag"] = make_etag(after)
    return entry_out(after)


def check_out(check: FlatCheck) -> dict[str, Any]:
    return {
        "id": check.pk,
        "flat": check.flat_id,
        "building": check.flat.building_id,
        "checked_on": check.checked_on,
        "finding": check.finding,
        "entry": check.entry_id,
        "note": check.note,
    }


@router.get(
    "/flat-checks",
    response={200: FlatCheckPage, **READ_ERRORS},
    summary="入户检查记录",
    operation_id="inspections_list_flat_checks",
)
def list_checks(
    request: Any,
    building: Annotated[int | None, Query(description="楼栋 id")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    if not capabilities.may(request.auth, RENTING):
        raise Forbidden("你的角色不能查看入户检查")
    qs = FlatCheck.objects.restrict(request.auth, Action.VIEW).select_related("flat")
    if building is not None:
        qs = qs.filter(flat__building_id=building)
    return paginate(qs, page, page_size, check_out)


@router.post(
    "/flat-checks",
    response={201: list[FlatCheckOut], **WRITE_ERRORS},
    summary="登记一栋楼的逐户检查结果",
    operation_id="inspections_record_flat_checks",
)
def record_checks(request: Any, body: FlatChecksIn) -> Status[list[dict[str, Any]]]:
    """群租、疑似群租的房屋自动登记（已有未销号登记的除外）；不属该楼栋的房屋逐条报错。"""
    user = request.auth
    task = None
    if body.task is not None:
        task = actions.Task.objects.restrict(user, Action.VIEW).filter(pk=body.task).first()
        if task is None:
            raise NotFound("检查任务不存在或不在你的管辖范围内")
    findings = {f.flat: (f.finding.value, f.note) for f in body.findings}
    with acting_as(user, "api"):
        checks = actions.record_flat_checks(user, body.building, findings, body.checked_on, task)
    rows = (
        FlatCheck.objects.restrict(user, Action.VIEW)
        .select_related("flat")
        .filter(pk__in=[c.pk for c in checks])
    )
    return Status(201, [check_out(c) for c in rows])


def row(pk: int | None, name: str, item: Any) -> dict[str, Any]:
    return {
        "id": pk,
        "name": name,
        "flats": item.flats,
        "flats_checked": item.flats_checked,
        "floors": item.floor_count,
        "floors_checked": item.floors_checked,
    }


@router.get(
    "/coverage",
    response={200: CoverageOut, **READ_ERRORS},
    summary="逐户检查覆盖率",
    operation_id="inspections_rent_coverage",
)
def coverage(
    request: Any,
    area: Annotated[int | None, Query(description="小区 id")] = None,
    since: Annotated[date | None, Query(description="起始日期（默认 30 天前）")] = None,
    until: Annotated[date | None, Query(description="截止日期（默认今天）")] = None,
) -> dict[str, Any]:
    if not capabilities.may(request.auth, RENTING):
        raise Forbidden("你的角色不能查看覆盖率")
    for name, day in (("since", since), ("until", until)):
        if day is not None and (problem := date_problem(day)):
            raise InvalidInput(f"{name}: {problem}", {name: "out_of_range"})
    until = until or clock.today()
    since = since or until - timedelta(days=30)
    areas = cov.coverage(request.auth, since=since, until=until, area=area)
    return {
        "since": since,
        "until": until,
        "areas": [row(a.area.pk if a.area else None, a.area.name if a.area else "", a) for a in areas],
        "buildings": [row(b.building.pk, b.building.address, b) for a in areas for b in a.buildings],
    }
