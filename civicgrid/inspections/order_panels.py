"""The order panel on a case's page (core.panels): a case opened from a rectification order
(整改转工单) shows the order it came from, for readers who may see that order."""

from django.db.models import Model
from django.http import HttpRequest
from django.template.loader import render_to_string

from civicgrid.core import panels
from civicgrid.core.capabilities import may
from civicgrid.core.choices import Action

from .models import Order


def case_panel(request: HttpRequest, case: Model | None) -> str:
    user = request.user
    if case is None or not may(user, "inspections.view"):
        return ""
    orders = list(Order.objects.restrict(user, Action.VIEW).filter(case_id=case.pk).select_related("place"))
    if not orders:
        return ""
    return render_to_string("inspections/_order_case_panel.html", {"orders": orders}, request=request)


def register() -> None:
    panels.register("cases.case", case_panel)
