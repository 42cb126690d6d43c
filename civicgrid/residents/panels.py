"""What the registry adds to earlier apps' pages (core.panels): on a building or an area page,
counts of flats, households, persons and care needs — numbers, never names —; on a case, the
care tags of the household living in the flat it was reported at, with a visit suggested.

The counts are taken over the whole building or area, unrestricted on purpose: the page itself
is restricted (the reader sees that building or area), residents.counts says who may read them,
and a sensitive kind is counted by name only for the roles that may see it (the others get one
"其他关爱需求" figure)."""

from typing import Any

from django.db.models import Count, Model, Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from civicgrid.core import clock, panels
from civicgrid.core.capabilities import may
from civicgrid.core.choices import Action
from civicgrid.core.scope import user_scope
from civicgrid.geo.models import Area, Building

from . import care
from .choices import CareKind
from .filters import area_q
from .models import CareTag, Flat, Household, LocalCareKind, Person
from .places import room_of

# The paths from each counted model to its building.
TO_BUILDING = {Flat: "building", Household: "flat__building", Person: "household__flat__building"}
TAG_TO_BUILDING = "person__household__flat__building"


def _where(place: Building | Area, to_building: str) -> Q:
    if isinstance(place, Building):
        return Q(**{to_building: place})
    return area_q(place, f"{to_building}__")


def counts(user: Any, place: Building | Area) -> dict[str, Any]:
    """Flats, current households, current persons, persons with a care tag in force and, per
    kind the reader may see named, the persons holding it (`kinds`: label, count)."""
    today = clock.today()
    persons = Person.objects.current().filter(_where(place, TO_BUILDING[Person]))  # type: ignore[attr-defined]
    tags = CareTag.objects.active(today).filter(  # type: ignore[attr-defined]
        _where(place, TAG_TO_BUILDING), person__household__moved_out__isnull=True
    )
    hidden = set(care.hidden_kinds(user_scope(user)))
    kinds = []
    by_kind = list(
        tags.order_by().values("kind", "local_kind_id").annotate(n=Count("person_id", distinct=True))
    )
    local = {k.pk: k for k in LocalCareKind.objects.filter(pk__in=[r["local_kind_id"] for r in by_kind])}
    for row in sorted(by_kind, key=lambda r: (CareKind.values.index(r["kind"]), r["local_kind_id"] or 0)):
        if row["kind"] in hidden:
            continue
        label = local[row["local_kind_id"]].label if row["local_kind_id"] else CareKind(row["kind"]).label
        kinds.append((label, row["n"]))
    if hidden:
        other = tags.filter(kind__in=hidden).values("person_id").distinct().count()
        if other:
            kinds.append((_("其他关爱需求"), other))
    return {
        "flats": Flat.objects.filter(_where(place, TO_BUILDING[Flat])).count(),
        "households": Household.objects.current().filter(_where(place, TO_BUILDING[Household])).count(),  # type: ignore[attr-defined]
        "persons": persons.count(),
        "cared": tags.values("person_id").distinct().count(),
        "kinds": kinds,
    }


def building_panel(request: HttpRequest, building: Model | None) -> str:
    user = request.user
    if not isinstance(building, Building) or not may(user, "residents.counts"):
        return ""
    # The registry page of the building, for those who keep or visit its households.
    link = (
        may(user, "residents.view")
        and Building.objects.restrict(user, Action.VIEW).filter(pk=building.pk).exists()
    )
    context = {"counts": counts(user, building), "building": building, "link": link, "with_flats": True}
    return render_to_string("residents/_panel_counts.html", context, request=request)


def area_panel(request: HttpRequest, area: Model | None) -> str:
    if not isinstance(area, Area) or not may(request.user, "residents.counts"):
        return ""
    context = {"counts": counts(request.user, area), "area": area}
    return render_to_string("residents/_panel_counts.html", context, request=request)


def households_at(case: Any) -> list[Household]:
    """The households living now in the flat a case names: its building and the room number
    in its address ("…100号302室")."""
    room = room_of(case.address)
    if case.building_id is None or room is None:
        return []
    return list(Household.objects.current().filter(flat__building_id=case.building_id, flat__room=room))  # type: ignore[attr-defined]


def case_panel(request: HttpRequest, case: Model | None) -> str:
    user = request.user
    if case is None or not may(user, "residents.care_tags"):
        return ""
    households = households_at(case)
    if not households:
        return ""
    ids = [h.pk for h in households]
    tags = list(
        CareTag.objects.restrict(user, Action.VIEW)
        .active(clock.today())
        .filter(person__household_id__in=ids)
        .select_related("person", "local_kind")
        .order_by("kind", "pk")
    )
    hidden = care.has_hidden_needs(user, ids)
    if not tags and not hidden:
        return ""
    care.log_look(user, tags, reason="工单关联住户")
    readable = set(
        Household.objects.restrict(user, Action.VIEW).filter(pk__in=ids).values_list("pk", flat=True)
    )
    context = {
        # The kinds, not who holds them: the desk needs "独居老人", not the name.
        "labels": sorted({tag.label for tag in tags}),
        "hidden": bool(hidden),
        "household": next((h for h in households if h.pk in readable), None),
    }
    return render_to_string("residents/_panel_case.html", context, request=request)


def register() -> None:
    panels.register("geo.building", building_panel)
    panels.register("geo.area", area_panel)
    panels.register("cases.case", case_panel)
