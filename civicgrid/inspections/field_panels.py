"""The field panels (core.panels): on the grid worker's phone page ("mobile") and the home page
("home"), the reader's open inspection tasks, overdue first."""

from django.db import models
from django.http import HttpRequest
from django.template.loader import render_to_string

from civicgrid.core import capabilities, clock, panels

from .views.plans import mobile_rows

SHOWN = 5


def tasks_panel(request: HttpRequest, obj: models.Model | None) -> str:
    if not capabilities.may(request.user, "inspections.inspect"):
        return ""
    tasks = mobile_rows(request.user, SHOWN)
    if not tasks:
        return ""
    context = {"tasks": tasks, "today": clock.today()}
    return render_to_string("inspections/_field_panel.html", context, request=request)


def register() -> None:
    panels.register("mobile", tasks_panel)
    panels.register("home", tasks_panel)
