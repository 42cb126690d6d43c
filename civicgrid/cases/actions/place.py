"""The desk's corrections of a case's place: 更正位置 (a building, a grid or a point inside the
case's street; clears 待定位) and 选定网格 (which of a grid conflict's two grids the case
belongs to, so that grid's workers verify it). Both ask the duty table again, as a
suggestion the case page shows: the case is never re-dispatched behind the desk's back."""

from typing import Any

from civicgrid.core.address import normalize_address
from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput
from civicgrid.core.inputs import as_id
from civicgrid.geo.models import Area, Building
from civicgrid.geo.services import Location, locate

from ..choices import CaseAction, GridChoice, PlaceStatus
from ..models import Case
from ..routing import route
from .frame import CaseContext, implements
from .intake import grids_differ


def find_visible_building(value: Any, user: Any) -> Building:
    """A building the user may see, by id or by its address (one match only)."""
    rows = Building.objects.restrict(user, Action.VIEW)
    text = str(value).strip()
    pk = as_id(text)
    found = rows.filter(pk=pk).first() if pk is not None else None
    if found is None and (normalized := normalize_address(text)):
        matches = list(rows.filter(normalized_address=normalized)[:2])
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise InvalidInput(f"楼栋“{text}”不存在、不唯一或不在你的管辖范围内", {"building": "unknown"})
    return found


def _outside(case: Case, field: str) -> InvalidInput:
    return InvalidInput(
        f"所选位置不在本工单所属的{case.street.name}内，不能更正到其他街道", {field: "other_street"}
    )


def _case_point(case: Case) -> Location:
    """Where the case's own point lies (nothing when it has none)."""
    return locate(case.lon, case.lat) if case.lon is not None and case.lat is not None else Location()


def corrected_place(
    case: Case,
    *,
    building: Building | None = None,
    grid: Area | None = None,
    lon: Any = None,
    lat: Any = None,
) -> dict[str, Any]:
    """The case's place fields after a correction by one input (InvalidInput naming it when
    it lies outside the case's street). A building keeps the case's point if that lies in
    the street (a grid conflict when they differ); a point keeps the case's building (the
    same); a grid is the desk's own choice and settles any conflict."""
    street = case.street_id
    # Absent inputs come as None or "" (an empty optional text): either is "not given".
    if grid:
        if grid.street_id != street:
            raise _outside(case, "grid")
        return {"grid_id": grid.pk, "residential_area_id": grid.parent_id, "grid_conflict": False}
    if building:
        if building.street_id != street:
            raise _outside(case, "building")
        at = _case_point(case)
        keep = at.street is not None and at.street.id == street
        return {
            "building": building,
            "lon": case.lon if keep else building.lon,
            "lat": case.lat if keep else building.lat,
            "grid_id": building.grid_id,
            "residential_area_id": building.residential_area_id,
            "grid_conflict": keep and grids_differ(at, building),
        }
    loc = locate(float(lon), float(lat))
    if loc.street is None or loc.street.id != street:
        raise _outside(case, "lon")
    kept = case.building if case.building is not None and case.building.street_id == street else None
    return {
        "lon": float(lon),
        "lat": float(lat),
        "building": kept,
        "grid_id": loc.grid.id if loc.grid else None,
        "residential_area_id": loc.residential_area.id if loc.residential_area else None,
        "grid_conflict": grids_differ(loc, kept),
    }


def conflict_grids(case: Case) -> dict[str, Area | None]:
    """A grid conflict's two grids: where the case's point lies, where its building is."""
    at = _case_point(case)
    ids = {
        GridChoice.POINT: at.grid.id if at.grid else None,
        GridChoice.BUILDING: case.building.grid_id if case.building is not None else None,
    }
    areas = Area.objects.select_related("parent").in_bulk([i for i in ids.values() if i])
    return {choice: areas.get(pk) if pk else None for choice, pk in ids.items()}


def _suggest_route(ctx: CaseContext) -> None:
    """The duty table's lead unit for the new place, when it is not the case's: shown to the
    desk (the case page, the timeline), who dispatches or redispatches if they agree."""
    c = ctx.case
    areas = Area.objects.in_bulk([i for i in (c.grid_id, c.residential_area_id) if i])
    proposal = route(c.category, [areas.get(c.grid_id or 0), areas.get(c.residential_area_id or 0), c.street])
    if proposal is not None and proposal.lead_unit.pk != c.lead_unit_id:
        ctx.data["suggested_lead_unit"] = {"id": proposal.lead_unit.pk, "name": proposal.lead_unit.name}


def _describe(ctx: CaseContext, by: str) -> None:
    c = ctx.case
    grid = Area.objects.filter(pk=c.grid_id).values_list("name", flat=True).first() if c.grid_id else None
    ctx.data.update(by=by, grid=grid, grid_conflict=c.grid_conflict)
    if c.building is not None:
        ctx.data["building"] = str(c.building)


@implements(CaseAction.RELOCATE)
def relocate_case(
    ctx: CaseContext,
    *,
    reason: str,
    building: Building | None = None,
    grid: Area | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> None:
    ctx.set(
        **corrected_place(ctx.case, building=building, grid=grid, lon=lon, lat=lat),
        place_status=PlaceStatus.LOCATED,
    )
    ctx.note = reason
    _describe(ctx, "building" if building else "grid" if grid else "point")
    _suggest_route(ctx)


@implements(CaseAction.CHOOSE_GRID)
def choose_grid(ctx: CaseContext, *, grid: str, note: str = "") -> None:
    chosen = conflict_grids(ctx.case)[grid]
    if chosen is None:
        raise InvalidInput("该网格已无法确定，请改用“更正位置”", {"grid": "unknown"})
    ctx.set(grid_id=chosen.pk, residential_area_id=chosen.parent_id, grid_conflict=False)
    ctx.note = note
    _describe(ctx, grid)
    _suggest_route(ctx)
