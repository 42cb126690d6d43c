"""The inspections panel on the office's home page (core.panels, "home"): the open orders,
how many are overdue and escalated, and the tasks due by the end of the week, each a link."""

from django.db import models
from django.http import HttpRequest
from django.template.loader import render_to_string

from civicgrid.core import capabilities, panels

from . import oversight


def office_panel(request: HttpRequest, obj: models.Model | None) -> str:
    # The office (inspections.manage) oversees; field roles have their own phone pages.
    if not capabilities.may(request.user, "inspections.manage"):
        return ""
    context = {
        "orders": oversight.orders(request.user).total,
        "tasks_due": oversight.tasks_due_this_week(request.user),
        "to": oversight.links(),
    }
    return render_to_string("inspections/_home_office.html", context, request=request)


def register() -> None:
    panels.register("home", office_panel)
