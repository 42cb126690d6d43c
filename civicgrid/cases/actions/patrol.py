"""Patrols (巡查): the grid worker starts one on the phone, the page posts positions while it is
open, the worker stops it; cases reported meanwhile are linked to it. Start, stop and each
linked case are events in the log (core.events); a track point is not — it is telemetry,
summed up in the stop event (points, distance)."""

from typing import Any

from django.db import IntegrityError, transaction

from civicgrid.core import clock, events
from civicgrid.core.capabilities import may
from civicgrid.core.choices import Action
from civicgrid.core.params import clean_params
from civicgrid.core.querysets import user_scope
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .. import checkin
from ..choices import PatrolStatus
from ..duplicates import distance_m
from ..errors import Conflict, Forbidden, NotFound
from ..models import Case, Patrol
from .intake import CaseInput, create_case

# A ten-hour patrol with a position every fifteen seconds; later points are dropped.
MAX_POINTS = 2400
# A position less precise than this (metres) is kept out of the track: it would add phantom distance.
MAX_ACCURACY_M = 100
POINT_PARAMS = checkin.coordinates("", "", required=True)


def _load(actor: Any, pk: Any) -> Patrol:
    patrol = Patrol.objects.restrict(actor, Action.CHANGE).select_for_update().filter(pk=pk).first()
    if patrol is None:
        raise NotFound("巡查记录不存在")
    return patrol


def active_patrol(actor: Any) -> Patrol | None:
    return Patrol.objects.restrict(actor, Action.CHANGE).filter(status=PatrolStatus.ACTIVE).first()


def start_patrol(actor: Any) -> Patrol:
    """A new patrol in the worker's grid (their first grid; the street when they have none)."""
    scope = user_scope(actor)
    if scope is None or not may(actor, "cases.patrol") or not scope.street_ids:
        raise Forbidden("只有网格员可以开始巡查")
    grid = (
        Area.objects.restrict(actor, Action.VIEW)
        .filter(kind=AreaKind.GRID, memberships__user=actor.pk)
        .order_by("code")
        .first()
    )
    street_id = (grid.street_id if grid is not None else None) or min(scope.street_ids)
    try:
        with transaction.atomic():
            if active_patrol(actor) is not None:
                raise Conflict("你已有一次进行中的巡查，请先结束它")
            patrol = Patrol.objects.create(
                worker=actor, street_id=street_id, grid=grid, started_at=clock.now()
            )
            events.log(patrol, "patrol_start", actor, at=patrol.started_at)
    except IntegrityError:  # a concurrent start won the one-active-patrol constraint
        raise Conflict("你已有一次进行中的巡查，请先结束它") from None
    return patrol


def add_point(actor: Any, pk: Any, raw: dict[str, Any]) -> Patrol:
    """One position of the open patrol (`lon`, `lat`, optional `accuracy` in metres)."""
    point = clean_params(POINT_PARAMS, raw, actor, action_label="巡查轨迹")
    with transaction.atomic():
        patrol = _load(actor, pk)
        if not patrol.is_active:
            raise Conflict("巡查已结束，不再记录轨迹")
        accuracy = point["accuracy"]
        if len(patrol.track) >= MAX_POINTS or (accuracy is not None and accuracy > MAX_ACCURACY_M):
            return patrol
        lon, lat = round(point["lon"], 6), round(point["lat"], 6)
        if patrol.track:
            last = patrol.track[-1]
            patrol.distance_m += distance_m(last[0], last[1], lon, lat)
        seconds = int((clock.now() - patrol.started_at).total_seconds())
        patrol.track.append([lon, lat, seconds])
        patrol.save(update_fields=["track", "distance_m"])
    return patrol


def stop_patrol(actor: Any, pk: Any) -> Patrol:
    with transaction.atomic():
        patrol = _load(actor, pk)
        if not patrol.is_active:
            raise Conflict("巡查已结束")
        patrol.status, patrol.ended_at = PatrolStatus.ENDED, clock.now()
        patrol.version += 1
        patrol.save(update_fields=["status", "ended_at", "version"])
        summary = {
            "points": len(patrol.track),
            "distance_m": round(patrol.distance_m),
            "cases": patrol.cases.count(),
        }
        events.log(patrol, "patrol_stop", actor, at=patrol.ended_at, payload=summary)
    return patrol


def report_on_patrol(data: CaseInput, actor: Any) -> Case:
    """A case the worker found: registered like any other (create_case) and linked to the
    patrol they have open, if any, in the same transaction."""
    with transaction.atomic():
        case = create_case(data, actor, via="web")
        patrol = active_patrol(actor)
        if patrol is not None:
            patrol.cases.add(case)
            events.log(patrol, "patrol_case", actor, payload={"case": case.number})
    return case
