"""Visits (走访): the kernel's action frame bound to `Visit` and its machine (record, cancel,
open a case), planning a visit, and recording one on the spot without a plan."""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.cases.actions.intake import open_case_at
from civicgrid.cases.choices import Channel
from civicgrid.cases.duplicates import distance_m
from civicgrid.core import capabilities, clock, events, profile
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound
from civicgrid.core.frame import FilesContext, Frame
from civicgrid.core.inputs import as_id

from .. import due
from ..choices import VisitAction, VisitMethod, VisitStatus
from ..models import Household, Visit
from ..workflow import MACHINE, VisitPhoto

FAR_KEY = "residents.visit_checkin_far_m"


def load_visit(ref: Any, actor: Any) -> Visit:
    """The visit by id or instance, if the actor may see it; NotFound otherwise."""
    pk = ref.pk if isinstance(ref, Visit) else as_id(str(ref))
    found = (
        Visit.objects.restrict(actor, Action.VIEW).filter(pk=pk).values_list("pk", flat=True).first()
        if pk is not None
        else None
    )
    if found is None:
        raise NotFound("走访记录不存在或不在你的管辖范围内")
    return Visit.objects.get(pk=found)


def _record(ctx: FilesContext) -> Any:
    # The visit's trail is its events; its photos point at the event they came with.
    ctx.store_photos(VisitPhoto.VISIT)
    return ctx.logged


FRAME = Frame(
    machine=MACHINE,
    model=Visit,
    load=load_visit,
    record=_record,
    context_class=FilesContext,
    select_related=("household__flat__building",),
)
run_action = FRAME.run


def beyond(distance: float | None, street_id: int | None) -> bool:
    """Whether a check-in this far from the building is beyond the street's reminder distance."""
    return distance is not None and distance > int(profile.value(FAR_KEY, street_id))


def is_far(visit: Visit) -> bool:
    return beyond(visit.distance_m, visit.street_id)


@FRAME.implements(VisitAction.RECORD)
def record(
    ctx: FilesContext,
    *,
    method: str = "",
    found: str,
    needs_follow_up: bool = False,
    follow_up: str = "",
    photos: list[Any] | None = None,
    checkin_lon: float | None = None,
    checkin_lat: float | None = None,
    checkin_accuracy: float | None = None,
) -> None:
    visit: Visit = ctx.obj
    ctx.set(
        method=method or VisitMethod.DOOR,
        found=found,
        needs_follow_up=bool(needs_follow_up),
        follow_up=follow_up or "",
        visitor=ctx.actor,
        visited_at=ctx.now,
    )
    if not visit.reasons:
        ctx.set(reasons=due.reason_codes(ctx.actor, visit.household))
    if checkin_lon is not None and checkin_lat is not None:
        building = visit.household.flat.building
        distance = (
            None
            if building.lon is None or building.lat is None
            else round(distance_m(checkin_lon, checkin_lat, building.lon, building.lat))
        )
        ctx.set(
            lon=round(checkin_lon, 6),
            lat=round(checkin_lat, 6),
            accuracy_m=None if checkin_accuracy is None else round(checkin_accuracy),
            distance_m=distance,
        )
        ctx.payload["checkin"] = {"distance_m": distance, "far": beyond(distance, visit.street_id)}
    ctx.photos = list(photos or [])


@FRAME.implements(VisitAction.CANCEL)
def cancel(ctx: FilesContext, *, reason: str) -> None:
    ctx.payload["reason"] = reason


@FRAME.implements(VisitAction.OPEN_CASE)
def open_case(ctx: FilesContext, *, category: Any, description: str) -> None:
    """由走访立工单: a case at the household's building, registered like any other (上门服务)."""
    building = ctx.obj.household.flat.building
    case = open_case_at(
        ctx.actor,
        category=category,
        description=description,
        channel=Channel.DOOR_TO_DOOR,
        lon=building.lon,
        lat=building.lat,
        address=building.address,
    )
    ctx.set(case=case)
    ctx.payload["case"] = case.number


# ---------------------------------------------------------------------------- new visits


def _household(actor: Any, household: Household | Any) -> Household:
    """The household (a row or its id) the actor may visit now, locked."""
    if not capabilities.may(actor, "residents.visit"):
        raise Forbidden(_("你的角色不能走访居民"))
    pk = household.pk if isinstance(household, Household) else as_id(str(household))
    found = (
        Household.objects.restrict(actor, Action.VIEW).select_for_update().filter(pk=pk).first()
        if pk is not None
        else None
    )
    if found is None:
        raise NotFound(_("住户不存在或不在你的管辖范围内"))
    if found.moved_out is not None:
        raise InvalidInput(_("该住户已迁出，不能走访"), {"household": "moved_out"})
    return found


def _new_visit(actor: Any, household: Household, planned_for: date, reasons: list[str]) -> Visit:
    return Visit.objects.create(
        household=household,
        street_id=household.street_id,
        planned_for=planned_for,
        reasons=reasons,
        created_by=actor,
    )


def plan_visit(actor: Any, household: Household | Any, *, planned_for: date, reasons: Any = None) -> Visit:
    """A planned visit to `household` on `planned_for` (today or later), for the kinds it is
    due for now unless `reasons` names them."""
    if not isinstance(planned_for, date):
        raise InvalidInput(_("请填写计划日期"), {"planned_for": "required"})
    if planned_for < clock.today():
        raise InvalidInput(_("计划日期不能早于今天"), {"planned_for": "past"})
    with transaction.atomic():
        found = _household(actor, household)
        codes = list(reasons) if reasons else due.reason_codes(actor, found)
        visit = _new_visit(actor, found, planned_for, codes)
        events.log(visit, "plan", actor, payload={"planned_for": planned_for.isoformat()})
    return visit


def plan_system_visit(household: Household, *, planned_for: date, reasons: list[str], why: str) -> Visit:
    """A door visit the system plans (a sensor's care alert nobody answered): no actor, so no
    scope to check; the household is the caller's (a device's). `why` goes in the event."""
    with transaction.atomic():
        visit = _new_visit(None, household, planned_for, reasons)
        events.log(visit, "plan", None, payload={"planned_for": planned_for.isoformat(), "why": why})
    return visit


def record_visit_now(actor: Any, household: Household | Any, params: dict[str, Any]) -> Visit:
    """A visit without a plan (the phone form on the spot): created and recorded in one
    transaction, so a refused record leaves no visit behind."""
    params = {k: v for k, v in params.items() if k != "version"}
    with transaction.atomic():
        found = _household(actor, household)
        visit = _new_visit(actor, found, clock.today(), [])
        return run_action(visit.pk, VisitAction.RECORD, actor, params)


def next_planned(actor: Any, household: Household) -> Visit | None:
    """The household's earliest planned visit the actor may see (the phone form records it)."""
    return (
        Visit.objects.restrict(actor, Action.VIEW)
        .filter(household=household, status=VisitStatus.PLANNED)
        .order_by("planned_for", "id")
        .first()
    )
