"""The case page's group-renting panel (registered on cases.case from apps.ready): the entry
registered from this complaint, else the 登记群租 form picking a flat of the case's building."""

from typing import Any

from django.db.models import Model
from django.http import HttpRequest
from django.template.loader import render_to_string

from civicgrid.core import panels
from civicgrid.core.capabilities import may
from civicgrid.core.choices import Action

from .actions.renting import RENTING, visible_flats
from .models import RentEntry


def case_panel(request: HttpRequest, case: Model | None) -> str:
    user: Any = request.user
    if case is None or not may(user, RENTING):
        return ""
    entry = (
        RentEntry.objects.restrict(user, Action.VIEW).filter(case_id=case.pk).select_related("flat").first()
    )
    building_id = getattr(case, "building_id", None)
    flats = (
        list(visible_flats(user).filter(building_id=building_id).order_by("floor", "room"))
        if entry is None and building_id is not None
        else []
    )
    if entry is None and not flats:
        return ""
    context = {"case": case, "entry": entry, "flats": flats}
    return render_to_string("inspections/_rent_case_panel.html", context, request=request)


def register() -> None:
    panels.register("cases.case", case_panel)
