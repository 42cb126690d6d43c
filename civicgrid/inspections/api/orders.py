"""Rectification orders under /api/v1/inspections/: the orders the caller may see (the list
page's filters, inspections.order_filters), one order by its number, every order action
through one endpoint (its body the action's declared parameters, the version check of
If-Match) and the printed 限期整改通知书."""

from datetime import date, datetime
from enum import Enum
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

# The one reader of an action's JSON body (an object of parameters, else a 400).
from civicgrid.core import capabilities
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

from .. import printing
from ..actions.frames import ORDER_FRAME
from ..choices import Escalation, OrderStatus, PlaceKind, Severity
from ..models import Order
from ..order_filters import OrderFilterSet

router = Router(tags=["inspections"])


class OrderOut(Schema):
    number: str = Field(description="通知书编号")
    id: int
    status: str
    status_label: str
    version: int
    place: int = Field(description="场所 id")
    place_name: str
    place_kind: str
    inspection: int | None = Field(description="检查记录 id")
    severity: str
    finding: str
    rule: str
    requirement: str
    evidence_required: str
    responsible: str
    deadline_amount: int
    deadline_unit: str
    issued_at: datetime
    due_at: datetime
    is_overdue: bool
    overdue_at: datetime | None
    escalation: str = Field(description="none、supervised（逾期督办）、escalated（提级督办）")
    reported_reason: str
    reported_at: datetime | None
    rechecks: int
    case: str | None = Field(description="转派的工单编号")
    closed_at: datetime | None


class OrderPage(PageOut):
    results: list[OrderOut]


class OrderListFilters(Schema):
    status: OrderStatus | None = None
    overdue: bool | None = Field(None, description="true：只看逾期")
    escalation: Escalation | None = None
    severity: Severity | None = None
    kind: PlaceKind | None = Field(None, description="场所类型")
    area: str | None = Field(None, description="区域编码（含其下各级）")
    issued_from: date | None = Field(None, description="下达日期自")
    issued_to: date | None = Field(None, description="下达日期至")

    def params(self) -> dict[str, Any]:
        """The parameters for OrderFilterSet (enumerations as their codes)."""
        out = {k: getattr(v, "value", v) for k, v in self.model_dump(exclude_none=True).items()}
        if "overdue" in out:
            out["overdue"] = "true" if out["overdue"] else "false"
        return out


def order_out(order: Order) -> dict[str, Any]:
    place = order.place
    return {
        "number": order.number,
        "id": order.pk,
        "status": order.status,
        "status_label": order.get_status_display(),
        "version": order.version,
        "place": place.pk,
        "place_name": place.name,
        "place_kind": place.kind,
        "inspection": order.inspection_id,
        "severity": order.severity,
        "finding": order.finding,
        "rule": order.rule,
        "requirement": order.requirement,
        "evidence_required": order.evidence_required,
        "responsible": order.responsible,
        "deadline_amount": order.deadline_amount,
        "deadline_unit": order.deadline_unit,
        "issued_at": order.issued_at,
        "due_at": order.due_at,
        "is_overdue": order.is_overdue,
        "overdue_at": order.overdue_at,
        "escalation": order.escalation,
        "reported_reason": order.reported_reason,
        "reported_at": order.reported_at,
        "rechecks": order.rechecks,
        "case": order.case.number if order.case is not None else None,
        "closed_at": order.closed_at,
    }


def _visible(user: Any) -> QuerySet[Order]:
    if not capabilities.may(user, "inspections.view"):
        raise Forbidden("你的角色不能查看整改通知")
    return Order.objects.restrict(user, Action.VIEW).select_related("place", "case")


def _one(user: Any, number: str) -> Order:
    order = _visible(user).filter(number=number).first()
    if order is None:
        raise NotFound("整改通知不存在或不在你的管辖范围内")
    return order


@router.get(
    "/orders",
    response={200: OrderPage, **READ_ERRORS},
    summary="整改通知",
    operation_id="inspections_list_orders",
)
def list_orders(
    request: Any,
    filters_: Query[OrderListFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The orders the caller may see under the list page's filters, overdue first, then by
    deadline. An unknown area code, or one outside the caller's scope, is a 400 naming `area`."""
    user = request.auth
    qs = OrderFilterSet(filters_.params(), _visible(user), user=user).checked()
    return paginate(qs.order_by("-is_overdue", "due_at", "pk"), page, page_size, order_out)


@router.get(
    "/orders/{number}",
    response={200: OrderOut, **READ_ERRORS},
    summary="整改通知详情",
    operation_id="inspections_get_order",
)
def get_order(request: Any, response: HttpResponse, number: str) -> dict[str, Any]:
    order = _one(request.auth, number)
    response["ETag"] = make_etag(order)
    return order_out(order)


@router.get(
    "/orders/{number}/notice.pdf",
    response={200: None, **READ_ERRORS},
    summary="限期整改通知书（PDF）",
    operation_id="inspections_order_notice",
)
def order_notice(request: Any, number: str) -> HttpResponse:
    order = _one(request.auth, number)
    response = HttpResponse(printing.notice(order), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{order.number}.pdf"'
    return response


# One typed body per action, from its declaration in the transition table (inspections/workflow.py).
ACTION_BODIES = action_bodies(ORDER_FRAME, "Order", "你读到的整改通知版本（If-Match 亦可）；已过期则 409")
OrderActionName = Enum("OrderActionName", {a.upper(): a for a in ACTION_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/orders/{number}/actions/{action}",
    response={200: OrderOut, **WRITE_ERRORS},
    summary="执行整改通知操作",
    operation_id="inspections_order_action",
    openapi_extra=action_request_body(ACTION_BODIES, {"version": 1, "note": "已拆除私拉电线"}),
)
def order_action(
    request: Any, response: HttpResponse, number: str, action: OrderActionName
) -> dict[str, Any]:
    """Runs `action` (report_done, recheck_pass, recheck_fail, extend, report_up, open_case,
    cancel) with the JSON object in the body as its parameters. Pass the `version` you read,
    or the detail's ETag in `If-Match`: 409 for a stale version, 412 for a stale ETag; 409
    also when the action is not allowed now, 403 when the caller's role may not take it.
    Photos are taken by the order page only."""
    user = request.auth
    current = _one(user, number)
    run_json_action(request, ORDER_FRAME, current.pk, action.value, lambda: current, make_etag)
    after = _one(user, number)
    response["ETag"] = make_etag(after)
    return order_out(after)
