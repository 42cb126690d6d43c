"""The order pages: the list (filters, overdue and escalated at a glance), an order (its
place, finding, deadline, escalation, case, photos by stage, timeline and action forms; usable
on a phone, where re-checks are done), and the printed 限期整改通知书 and 检查报告. Thin: parse,
call one action, render; every query through restrict()."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from civicgrid.core import action_views, clock
from civicgrid.core.capabilities import require
from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput
from civicgrid.core.models import Attachment, Event

from .. import printing
from ..actions.frames import ORDER_FRAME
from ..choices import OrderAction, OrderPhoto
from ..models import Inspection, Order
from ..order_filters import OrderFilterSet
from ..workflow import ORDERS

ORDERS_PER_PAGE = 50
RECHECKS = (OrderAction.RECHECK_PASS, OrderAction.RECHECK_FAIL)


def _order(request: HttpRequest, number: str) -> Order:
    require(request.user, "inspections.view")
    qs = Order.objects.restrict(request.user, Action.VIEW).select_related(
        "place", "street", "inspection", "case", "issued_by"
    )
    return get_object_or_404(qs, number=number)


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "inspections.view")
    visible = Order.objects.restrict(request.user, Action.VIEW)
    filterset = OrderFilterSet(request.GET or None, visible, user=request.user)
    try:
        orders = filterset.checked()
    except InvalidInput:
        orders = visible.none()  # the form shows each bad field
    listing = orders.select_related("place").order_by("-is_overdue", "due_at", "pk")
    page = Paginator(listing, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "page": page, "orders": page.object_list, "now": clock.now()}
    return render(request, "inspections/order_list.html", context)


def timeline(order: Order) -> list[dict[str, Any]]:
    """The order's steps from its domain events, oldest first."""
    # lint: allow-unrestricted (the events of the order _order() found in the reader's scope)
    rows = Event.objects.filter(app="inspections", object_type="order", object_id=order.pk).order_by(
        "at", "id"
    )
    return [
        {
            "at": e.at,
            "label": ORDERS.label(e.action),
            "actor": e.actor_label,
            "note": e.payload.get("note", ""),
            "to": e.payload.get("to", ""),
            "case": e.payload.get("case", ""),
            "checkin": e.payload.get("checkin"),
        }
        for e in rows
    ]


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(request, number)
    photos = list(
        Attachment.objects.restrict(request.user, Action.VIEW)
        .filter(content_type=ContentType.objects.get_for_model(Order), object_id=order.pk)
        .order_by("pk")
    )
    stages = [
        {"label": label, "photos": [p for p in photos if p.stage == stage]}
        for stage, label in OrderPhoto.choices
    ]
    now = clock.now()
    forms = action_views.action_forms(ORDER_FRAME, order, request.user)
    context = {
        "order": order,
        "place": order.place,
        "left": order.due_at - now if order.due_at > now else None,
        "late": now - order.due_at if order.due_at <= now else None,
        "stages": [s for s in stages if s["photos"]],
        "steps": timeline(order),
        "action_forms": forms,
        # The re-check forms carry the phone's position (the GPS check-in, cases/patrol.js).
        "recheck": any(action in RECHECKS for action, _label, _form in forms),
    }
    return render(request, "inspections/order_detail.html", context)


@login_required
@require_POST
def order_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    return action_views.post_action(request, ORDER_FRAME, _order(request, number), action)


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'  # ASCII names
    return response


@login_required
@never_cache
def order_notice(request: HttpRequest, number: str) -> HttpResponse:
    """限期整改通知书 as a PDF, rendered in the request."""
    order = _order(request, number)
    return _pdf(printing.notice(order), order.number)


@login_required
@never_cache
def inspection_report(request: HttpRequest, pk: int) -> HttpResponse:
    """检查报告 as a PDF, with the orders it gave that the reader may see."""
    require(request.user, "inspections.view")
    qs = Inspection.objects.restrict(request.user, Action.VIEW).select_related(
        "place", "street", "inspector", "checklist"
    )
    inspection = get_object_or_404(qs, pk=pk)
    orders = list(
        Order.objects.restrict(request.user, Action.VIEW).filter(inspection=inspection).order_by("pk")
    )
    return _pdf(printing.report(inspection, orders), f"inspection-{inspection.pk}")


urlpatterns = [
    path("orders/", order_list, name="orders"),
    path("orders/<str:number>/", order_detail, name="order"),
    path("orders/<str:number>/act/<str:action>/", order_action, name="order_action"),
    path("orders/<str:number>/notice.pdf", order_notice, name="order_notice"),
    path("records/<int:pk>/report.pdf", inspection_report, name="inspection_report"),
]
