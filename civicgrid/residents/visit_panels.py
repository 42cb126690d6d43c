"""The visit panels (core.panels): on a cadre's home page ("home") and the grid worker's phone
page ("mobile"), how many households wait for a visit, how many are overdue, the worst few and
the visits the reader recorded today; on a household's page its latest visits."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.template.loader import render_to_string

from civicgrid.core import capabilities, clock, panels
from civicgrid.core.choices import Action

from . import due
from .choices import VisitStatus
from .models import Household, Visit

RECENT = 5


def recorded_today(user: Any) -> list[Visit]:
    """The visits `user` recorded today (Beijing days)."""
    start = datetime.combine(clock.today(), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    return list(
        Visit.objects.restrict(user, Action.VIEW)
        .filter(
            visitor=user.pk,
            status=VisitStatus.DONE,
            visited_at__gte=start,
            visited_at__lt=start + timedelta(days=1),
        )
        .select_related("household__flat__building")
    )


def due_panel(request: HttpRequest, obj: models.Model | None) -> str:
    user = request.user
    if not capabilities.may(user, "residents.visit"):
        return ""
    context = {**due.summary(due.due_list(user)), "today": recorded_today(user)}
    return render_to_string("residents/_visit_home.html", context, request=request)


def household_panel(request: HttpRequest, obj: models.Model | None) -> str:
    if not isinstance(obj, Household) or not capabilities.may(request.user, "residents.visits"):
        return ""
    visits = list(
        Visit.objects.restrict(request.user, Action.VIEW)
        .filter(household=obj)
        .select_related("visitor")[:RECENT]
    )
    context = {
        "household": obj,
        "visits": visits,
        "may_visit": capabilities.may(request.user, "residents.visit") and obj.moved_out is None,
    }
    return render_to_string("residents/_visit_household.html", context, request=request)


def register() -> None:
    panels.register("home", due_panel)
    panels.register("mobile", due_panel)
    panels.register("residents.household", household_panel)
