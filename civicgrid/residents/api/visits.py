"""Visits under /api/v1/residents/: the visits the caller may see, the due list (the page's
parameters and rules, residents.due) and every visit action through one endpoint, its body
the action's declared parameters, with the version check of If-Match."""

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

# The one reader of an action's JSON body (an object of parameters, else a 400).
from civicgrid.core import capabilities
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, NotFound
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    action_bodies,
    action_request_body,
    make_etag,
    run_json_action,
)

from .. import due
from ..actions import visits as actions
from ..care import is_sensitive
from ..choices import VisitStatus
from ..models import Visit

router = Router(tags=["residents"])


class VisitOut(Schema):
    id: int
    household: int = Field(description="住户 id")
    flat: str = Field(description="房屋（楼栋地址与室号）")
    status: str
    status_label: str
    version: int
    planned_for: date | None
    reasons: list[str] = Field(description="走访事由（关爱类别或高龄段，如 alone、age90）")
    visitor: str | None
    visited_at: datetime | None
    method: str
    found: str
    follow_up: str
    needs_follow_up: bool
    lon: float | None
    lat: float | None
    accuracy_m: float | None
    distance_m: float | None = Field(description="签到位置距楼栋（米）")
    far: bool = Field(description="签到距离超出街道设置的提醒距离")
    case: str | None = Field(description="由该走访立的工单编号")


class VisitPage(PageOut):
    results: list[VisitOut]


class DueReasonOut(Schema):
    code: str
    label: str
    person: str
    since: date
    interval_days: int
    due_on: date


class DueOut(Schema):
    household: int
    flat: str
    due_on: date
    overdue_days: int
    last_visit: date | None
    planned_visit: int | None
    reasons: list[DueReasonOut]


class DueListOut(Schema):
    count: int
    overdue: int
    results: list[DueOut]


def visit_out(visit: Visit) -> dict[str, Any]:
    visitor = visit.visitor
    # Sensitive kinds are never named here: the list is read by roles that may not see them.
    reasons = [code for code in visit.reasons if not is_sensitive(code)]
    return {
        "id": visit.pk,
        "household": visit.household_id,
        "flat": str(visit.household.flat),
        "status": visit.status,
        "status_label": visit.get_status_display(),
        "version": visit.version,
        "planned_for": visit.planned_for,
        "reasons": reasons,
        "visitor": (visitor.full_name or visitor.username) if visitor is not None else None,
        "visited_at": visit.visited_at,
        "method": visit.method,
        "found": visit.found,
        "follow_up": visit.follow_up,
        "needs_follow_up": visit.needs_follow_up,
        "lon": visit.lon,
        "lat": visit.lat,
        "accuracy_m": visit.accuracy_m,
        "distance_m": visit.distance_m,
        "far": actions.is_far(visit),
        "case": visit.case.number if visit.case is not None else None,
    }


def _visible(user: Any) -> QuerySet[Visit]:
    if not capabilities.may(user, "residents.visits"):
        raise Forbidden("你的角色不能查看走访记录")
    return Visit.objects.restrict(user, Action.VIEW).select_related(
        "household__flat__building", "visitor", "case"
    )


def _one(user: Any, visit_id: int) -> Visit:
    visit = _visible(user).filter(pk=visit_id).first()
    if visit is None:
        raise NotFound("走访记录不存在或不在你的管辖范围内")
    return visit


def visit_etag(visit: Visit) -> str:
    return make_etag(visit)


@router.get(
    "/visits",
    response={200: VisitPage, **READ_ERRORS},
    summary="走访记录",
    operation_id="residents_list_visits",
)
def list_visits(
    request: Any,
    household: Annotated[int | None, Query(description="只看该住户的走访")] = None,
    status: Annotated[VisitStatus | None, Query(description="状态")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The visits the caller may see (their area or grid), newest first."""
    qs = _visible(request.auth)
    if household is not None:
        qs = qs.filter(household_id=household)
    if status is not None:
        qs = qs.filter(status=status)
    return paginate(qs, page, page_size, visit_out)


@router.get(
    "/visits/due",
    response={200: DueListOut, **READ_ERRORS},
    summary="待走访名单",
    operation_id="residents_due_visits",
)
def due_visits(
    request: Any,
    overdue: Annotated[bool, Query(description="只看逾期")] = False,
    care: Annotated[str, Query(description="只看该关爱类别或高龄段（alone、age90、local…）")] = "",
) -> dict[str, Any]:
    """The households to visit within the next days, most overdue first (the page's list)."""
    user = request.auth
    if not capabilities.may(user, "residents.visits"):
        raise Forbidden("你的角色不能查看待走访名单")
    params = due.DueForm({"overdue": overdue, "care": care}, user=user).checked()
    rows = due.due_list(user, care=params["care"], overdue=params["overdue"])
    # Sensitive tags in the list are shown to a role allowed to see them: each look is logged.
    due.log_looks(user, rows, reason="走访名单（API）", via="api")
    return {
        "count": len(rows),
        "overdue": sum(1 for r in rows if r.overdue),
        "results": [
            {
                "household": row.household.pk,
                "flat": str(row.household.flat),
                "due_on": row.due_on,
                "overdue_days": row.overdue_days,
                "last_visit": row.last_visit,
                "planned_visit": row.planned,
                "reasons": [
                    {
                        "code": r.code,
                        "label": r.label,
                        "person": r.person,
                        "since": r.since,
                        "interval_days": r.interval,
                        "due_on": r.due_on,
                    }
                    for r in row.reasons
                ],
            }
            for row in rows
        ],
    }


@router.get(
    "/visits/{visit_id}",
    response={200: VisitOut, **READ_ERRORS},
    summary="走访记录详情",
    operation_id="residents_get_visit",
)
def get_visit(request: Any, response: HttpResponse, visit_id: int) -> dict[str, Any]:
    visit = _one(request.auth, visit_id)
    response["ETag"] = visit_etag(visit)
    return visit_out(visit)


class VisitPlanIn(Schema):
    planned_for: date = Field(description="计划日期（不早于今天）")


@router.post(
    "/households/{household_id}/visits",
    response={201: VisitOut, **WRITE_ERRORS},
    summary="计划走访",
    operation_id="residents_plan_visit",
)
def plan_visit(request: Any, household_id: int, body: VisitPlanIn) -> Status[dict[str, Any]]:
    """A planned visit to the household, for the kinds it is due for now; record it later
    with POST /visits/{visit_id}/actions/record."""
    user = request.auth
    with acting_as(user, "api"):
        visit = actions.plan_visit(user, household_id, planned_for=body.planned_for)
    return Status(201, visit_out(_one(user, visit.pk)))


# One typed body per action, from its declaration in the transition table (residents/workflow.py).
ACTION_BODIES = action_bodies(actions.FRAME, "Visit", "你读到的走访记录版本（If-Match 亦可）；已过期则 409")
VisitActionName = Enum("VisitActionName", {a.upper(): a for a in ACTION_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/visits/{visit_id}/actions/{action}",
    response={200: VisitOut, **WRITE_ERRORS},
    summary="执行走访操作",
    operation_id="residents_visit_action",
    openapi_extra=action_request_body(
        ACTION_BODIES, {"version": 1, "found": "老人身体尚好", "method": "door"}
    ),
)
def visit_action(
    request: Any, response: HttpResponse, visit_id: int, action: VisitActionName
) -> dict[str, Any]:
    """Runs `action` (record, cancel, open_case) with the JSON object in the body as its
    parameters. Pass the `version` you read, or the detail's ETag in `If-Match`: 409 for a
    stale version, 412 for a stale ETag; 409 also when the action is not allowed now, 403
    when the caller's role may not take it. Photos are taken by the phone form only."""
    user = request.auth
    visit = run_json_action(
        request, actions.FRAME, visit_id, action.value, lambda: _one(user, visit_id), visit_etag
    )
    after = _one(user, visit.pk)
    response["ETag"] = visit_etag(after)
    return visit_out(after)
