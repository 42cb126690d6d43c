"""The area, building and layer-grid endpoints of /api/v1/ (shapes in geo.schemas), mounted by
civicgrid.api with the `geo` token scope.

Reads only, through `restrict(user, "view")` like the pages in geo/views.py: an object outside
the caller's scope is a 404 and lists leave it out (a cadre sees their residential area, its
grids and buildings, and the street and district above it for navigation).

Grids are areas of kind `grid`: `GET /areas?kind=grid` lists them, `GET /areas/{code}` reads
one; there is no separate grid endpoint. The other grid layers (police, urban management,
party building) are `/layers`.
"""

from typing import Annotated, Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Status

from civicgrid.core.address import normalize_address
from civicgrid.core.choices import Action
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageSize, paginate
from civicgrid.core.rest import NOT_MODIFIED, READ_ERRORS, get_by_id, make_etag, not_modified

from .choices import AreaKind, GridLayerKind
from .models import Area, Building, GridLayer
from .schemas import AreaOut, AreaPage, BuildingOut, BuildingPage, LayerGridOut, LayerGridPage

router = Router(tags=["geo"])

GeometryFlag = Annotated[bool, Query(description="true：同时返回 GeoJSON 边界")]
# Polygons are the bulk of an area row: related areas never need theirs.
AREA_RELATED = ("parent", "street")
AREA_RELATED_GEOMETRY = tuple(f"{name}__geometry" for name in AREA_RELATED)
BUILDING_PLACES = ("street", "residential_area", "grid")


def _ref(area: Area | None) -> dict[str, str] | None:
    return {"code": area.code, "name": area.name} if area is not None else None


def _visible_areas(user: Any) -> QuerySet[Area]:
    return Area.objects.restrict(user, Action.VIEW)


# ---------------------------------------------------------------------------- areas


def area_out(area: Area, geometry: bool) -> dict[str, Any]:
    return {
        "code": area.code,
        "name": area.name,
        "kind": area.kind,
        "kind_label": area.get_kind_display(),
        "parent": _ref(area.parent),
        "street": _ref(area.street),
        "path": [code for code in area.path.strip("/").split("/") if code],
        "description": area.description,
        "geometry": area.geometry if geometry else None,
        "updated_at": area.updated_at,
    }


def _areas(user: Any, geometry: bool) -> QuerySet[Area]:
    qs = _visible_areas(user).select_related(*AREA_RELATED).defer(*AREA_RELATED_GEOMETRY)
    return qs if geometry else qs.defer("geometry")


@router.get("/areas", response={200: AreaPage, **READ_ERRORS}, summary="区域列表（区、街道、居民区、网格）")
def list_areas(
    request: HttpRequest,
    kind: Annotated[AreaKind | None, Query(description="层级；kind=grid 即网格列表")] = None,
    parent: Annotated[str | None, Query(description="上级区域编码（直接下级）")] = None,
    street: Annotated[str | None, Query(description="所属街道编码")] = None,
    q: Annotated[str | None, Query(description="编码或名称中的文字")] = None,
    geometry: GeometryFlag = False,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The areas the caller may see, by code. Unknown codes in filters simply match nothing."""
    qs = _areas(request.auth, geometry)  # type: ignore[attr-defined]
    if kind:
        qs = qs.filter(kind=kind)
    if parent:
        qs = qs.filter(parent__code=parent)
    if street:
        qs = qs.filter(street__code=street)
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text))
    return paginate(qs.order_by("code"), page, page_size, lambda a: area_out(a, geometry))


@router.get(
    "/areas/{code}",
    response={200: AreaOut, **NOT_MODIFIED, **READ_ERRORS},
    summary="区域详情",
)
def get_area(request: HttpRequest, response: HttpResponse, code: str, geometry: GeometryFlag = False) -> Any:
    """An area by code (404 outside the caller's scope); children: `GET /areas?parent={code}`,
    buildings: `GET /buildings?area={code}`, units serving it: `GET /units?area={code}`."""
    area = _areas(request.auth, geometry).filter(code=code).first()  # type: ignore[attr-defined]
    if area is None:
        raise Http404
    if not_modified(request, response, make_etag(area, area.parent, area.street, geometry)):
        return Status(304, None)
    return area_out(area, geometry)


# ---------------------------------------------------------------------------- buildings


def building_out(building: Building) -> dict[str, Any]:
    return {
        "id": building.pk,
        "address": building.address,
        "normalized_address": building.normalized_address,
        "name": building.name,
        "lon": building.lon,
        "lat": building.lat,
        "street": _ref(building.street),
        "residential_area": _ref(building.residential_area),
        "grid": _ref(building.grid),
        "floors": building.floors,
        "households": building.households,
        "built_year": building.built_year,
        "updated_at": building.updated_at,
    }


def _buildings(user: Any) -> QuerySet[Building]:
    return (
        Building.objects.restrict(user, Action.VIEW)
        .select_related(*BUILDING_PLACES)
        .defer(*(f"{name}__geometry" for name in BUILDING_PLACES))
    )


# The building field that says which area of each kind a building lies in.
BUILDING_AREA_FIELD = {
    AreaKind.GRID: "grid",
    AreaKind.RESIDENTIAL: "residential_area",
    AreaKind.STREET: "street",
    AreaKind.DISTRICT: "street__parent",
}


@router.get("/buildings", response={200: BuildingPage, **READ_ERRORS}, summary="楼栋列表与地址搜索")
def list_buildings(
    request: HttpRequest,
    area: Annotated[str | None, Query(description="区域编码（区、街道、居民区或网格）：其中的楼栋")] = None,
    q: Annotated[
        str | None, Query(description="地址中的文字，按规范地址匹配（“崂山二村 11 号”可找到“崂山二村11号”）")
    ] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The buildings the caller may see, by normalised address (the search of the buildings page)."""
    user = request.auth  # type: ignore[attr-defined]
    qs = _buildings(user)
    if area:
        place = _visible_areas(user).filter(code=area).only("pk", "kind").first()
        if place is None:
            qs = qs.none()
        else:
            qs = qs.filter(**{f"{BUILDING_AREA_FIELD[AreaKind(place.kind)]}_id": place.pk})
    normalized = normalize_address((q or "").strip())
    if normalized:
        qs = qs.filter(normalized_address__icontains=normalized)
    return paginate(qs.order_by("normalized_address", "id"), page, page_size, building_out)


@router.get(
    "/buildings/{building_id}",
    response={200: BuildingOut, **NOT_MODIFIED, **READ_ERRORS},
    summary="楼栋详情",
)
def get_building(request: HttpRequest, response: HttpResponse, building_id: int) -> Any:
    building = get_by_id(_buildings(request.auth), building_id)  # type: ignore[attr-defined]
    tag = make_etag(building, building.street, building.residential_area, building.grid)
    if not_modified(request, response, tag):
        return Status(304, None)
    return building_out(building)


# ---------------------------------------------------------------------------- other grid layers


def layer_out(layer: GridLayer, geometry: bool) -> dict[str, Any]:
    return {
        "id": layer.pk,
        "layer": layer.layer,
        "layer_label": layer.get_layer_display(),
        "code": layer.code,
        "name": layer.name,
        "street": _ref(layer.street),
        "comprehensive_grids": [_ref(grid) for grid in layer.comprehensive_grids.all()],
        "geometry": layer.geometry if geometry else None,
        "updated_at": layer.updated_at,
    }


def _layers(user: Any, geometry: bool) -> QuerySet[GridLayer]:
    grids = _visible_areas(user).defer("geometry").order_by("code")
    qs = (
        GridLayer.objects.restrict(user, Action.VIEW)
        .select_related("street")
        .defer("street__geometry")
        .prefetch_related(Prefetch("comprehensive_grids", queryset=grids))
    )
    return qs if geometry else qs.defer("geometry")


@router.get("/layers", response={200: LayerGridPage, **READ_ERRORS}, summary="专业网格列表（多格合一）")
def list_layers(
    request: HttpRequest,
    layer: Annotated[GridLayerKind | None, Query(description="图层")] = None,
    street: Annotated[str | None, Query(description="所属街道编码")] = None,
    grid: Annotated[str | None, Query(description="综合网格编码：映射到该网格的专业网格")] = None,
    q: Annotated[str | None, Query(description="编码或名称中的文字")] = None,
    geometry: GeometryFlag = False,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Grids of other systems kept as data, each with the comprehensive grids it maps onto."""
    qs = _layers(request.auth, geometry)  # type: ignore[attr-defined]
    if layer:
        qs = qs.filter(layer=layer)
    if street:
        qs = qs.filter(street__code=street)
    if grid:
        qs = qs.filter(pk__in=GridLayer.objects.filter(comprehensive_grids__code=grid).values("pk"))
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text))
    return paginate(qs.order_by("layer", "code"), page, page_size, lambda g: layer_out(g, geometry))


@router.get(
    "/layers/{layer_id}",
    response={200: LayerGridOut, **NOT_MODIFIED, **READ_ERRORS},
    summary="专业网格详情",
)
def get_layer(
    request: HttpRequest, response: HttpResponse, layer_id: int, geometry: GeometryFlag = False
) -> Any:
    layer = get_by_id(_layers(request.auth, geometry), layer_id)  # type: ignore[attr-defined]
    grids = list(layer.comprehensive_grids.all())
    tag = make_etag(layer, layer.street, *grids, [g.pk for g in grids], geometry)
    if not_modified(request, response, tag):
        return Status(304, None)
    return layer_out(layer, geometry)
