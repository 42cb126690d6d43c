"""Pages of the area tree, buildings and layer grids, with their maps.

Every query goes through `restrict(request.user, "view")`: an object outside the user's
scope is a 404, and lists and map layers simply leave it out.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from civicgrid.core.address import normalize_address
from civicgrid.core.choices import Action

from .choices import AreaKind
from .index import locate as locate_point
from .models import Area, Building, GridLayer

BUILDINGS_PER_PAGE = 50
SEARCH_PER_PAGE = 20
# A grid's map shows its buildings as points; beyond this the page list is enough.
MAP_BUILDING_LIMIT = 500


def _require_view(model: Any, request: HttpRequest) -> None:
    """Roles that may not read a registry model at all get the same 404 as an unknown object."""
    if not model.objects.all().allows(request.user, Action.VIEW):
        raise Http404


def map_context() -> dict[str, str]:
    """The optional tile layer of every Leaflet map (maps work without one)."""
    return {
        "tile_url": settings.CIVICGRID_MAP_TILE_URL,
        "tile_attribution": settings.CIVICGRID_MAP_TILE_ATTRIBUTION,
    }


def _unit_model() -> Any:
    # geo may not import orgs (see docs/architecture.md); the reverse relation of
    # Unit.jurisdiction names the model without an import.
    return Area._meta.get_field("jurisdiction_units").related_model


def _ancestor_codes(area: Area) -> list[str]:
    # The materialised path holds the codes of every ancestor, root first.
    return [code for code in area.path.strip("/").split("/") if code and code != area.code]


def _visible_area(request: HttpRequest, code: str) -> Area:
    return get_object_or_404(Area.objects.restrict(request.user, Action.VIEW), code=code)


@login_required
def area_list(request: HttpRequest) -> HttpResponse:
    """The top of the user's scope: the areas they are bound to, else every street they see."""
    _require_view(Area, request)
    visible = Area.objects.restrict(request.user, Action.VIEW).select_related("parent")
    areas = list(visible.filter(memberships__user=request.user.pk).distinct())
    if not areas:
        areas = list(visible.filter(kind=AreaKind.STREET))
    return render(request, "geo/area_list.html", {"areas": areas})


@login_required
def area_detail(request: HttpRequest, code: str) -> HttpResponse:
    area = _visible_area(request, code)
    user = request.user
    visible = Area.objects.restrict(user, Action.VIEW)
    codes = _ancestor_codes(area)
    breadcrumbs = sorted(visible.filter(code__in=codes), key=lambda a: len(a.path))
    children = list(visible.filter(parent=area).order_by("code"))
    units = list(
        _unit_model()
        .objects.restrict(user, Action.VIEW)
        .filter(jurisdiction__code__in=[*codes, area.code])
        .select_related("street")
        .distinct()
        .order_by("kind", "name")
    )
    context: dict[str, Any] = {
        "area": area,
        "breadcrumbs": breadcrumbs,
        "children": children,
        "units": units,
        "is_grid": area.kind == AreaKind.GRID,
        # The profile page (civicgrid.profiles) is for those who may change the street/district.
        "may_edit_profile": area.kind in (AreaKind.STREET, AreaKind.DISTRICT)
        and Area.objects.restrict(user, Action.CHANGE).filter(pk=area.pk).exists(),
        **map_context(),
    }
    if area.kind == AreaKind.GRID:
        buildings = Building.objects.restrict(user, Action.VIEW).filter(grid=area)
        context["buildings_page"] = Paginator(buildings, BUILDINGS_PER_PAGE).get_page(request.GET.get("page"))
        context["layer_grids"] = list(
            GridLayer.objects.restrict(user, Action.VIEW).filter(comprehensive_grids=area)
        )
    return render(request, "geo/area_detail.html", context)


def _feature(area: Area, role: str) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": area.geometry,
        "properties": {
            "code": area.code,
            "name": area.name,
            "kind": area.kind,
            "kind_label": str(area.get_kind_display()),
            "role": role,
            "url": area.get_absolute_url(),
        },
    }


@login_required
def area_geojson(request: HttpRequest, code: str) -> JsonResponse:
    """The area's polygon ("self") and its visible children's ("child"); a grid adds its
    buildings as points ("building")."""
    area = _visible_area(request, code)
    features = [_feature(area, "self")] if area.geometry else []
    children = (
        Area.objects.restrict(request.user, Action.VIEW).filter(parent=area).exclude(geometry__isnull=True)
    )
    features += [_feature(child, "child") for child in children.order_by("code")]
    if area.kind == AreaKind.GRID:
        buildings = Building.objects.restrict(request.user, Action.VIEW).filter(grid=area)
        for building in buildings[:MAP_BUILDING_LIMIT]:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [building.lon, building.lat]},
                    "properties": {
                        "code": "",
                        "name": str(building),
                        "kind": "building",
                        "role": "building",
                        "url": building.get_absolute_url(),
                    },
                }
            )
    data = {"type": "FeatureCollection", "features": features}
    return JsonResponse(data, content_type="application/geo+json", json_dumps_params={"ensure_ascii": False})


@login_required
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    building = get_object_or_404(
        Building.objects.restrict(request.user, Action.VIEW).select_related(
            "street", "residential_area", "grid"
        ),
        pk=pk,
    )
    places = [p for p in (building.street, building.residential_area, building.grid) if p is not None]
    visible_ids = set(
        Area.objects.restrict(request.user, Action.VIEW)
        .filter(pk__in=[p.pk for p in places])
        .values_list("pk", flat=True)
    )
    context = {
        "building": building,
        "places": [(p, p.pk in visible_ids) for p in places],
        "grid_visible": building.grid is not None and building.grid.pk in visible_ids,
        **map_context(),
    }
    return render(request, "geo/building_detail.html", context)


@login_required
def building_search(request: HttpRequest) -> HttpResponse:
    """Free-typed address search: `崂山二村 11 号` finds `崂山二村11号`. With htmx, only the
    results are re-rendered as the user types."""
    _require_view(Building, request)
    q = request.GET.get("q", "").strip()
    normalized = normalize_address(q)
    buildings = Building.objects.restrict(request.user, Action.VIEW).select_related(
        "residential_area", "grid"
    )
    if normalized:
        buildings = buildings.filter(normalized_address__icontains=normalized)
    page = Paginator(buildings, SEARCH_PER_PAGE).get_page(request.GET.get("page"))
    context = {"q": q, "normalized": normalized, "page": page}
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        return render(request, "geo/_building_results.html", context)
    return render(request, "geo/building_search.html", context)


@login_required
def layer_grid_detail(request: HttpRequest, pk: int) -> HttpResponse:
    layer = get_object_or_404(
        GridLayer.objects.restrict(request.user, Action.VIEW)
        .select_related("street")
        .prefetch_related(
            Prefetch(
                "comprehensive_grids",
                queryset=Area.objects.restrict(request.user, Action.VIEW).order_by("code"),
            )
        ),
        pk=pk,
    )
    street_visible = Area.objects.restrict(request.user, Action.VIEW).filter(pk=layer.street_id).exists()
    feature = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": layer.geometry,
                "properties": {"code": layer.code, "name": layer.name, "role": "self"},
            }
        ],
    }
    context = {"layer": layer, "street_visible": street_visible, "feature": feature, **map_context()}
    return render(request, "geo/layer_grid_detail.html", context)


@login_required
def locate(request: HttpRequest) -> JsonResponse:
    """`?lon=&lat=` → the street, residential area and grid there, each only if visible."""
    _require_view(Area, request)
    try:
        lon = float(request.GET["lon"])
        lat = float(request.GET["lat"])
    except (KeyError, ValueError):
        return JsonResponse({"error": _("需要数字参数 lon 和 lat")}, status=400)
    where = locate_point(lon, lat)
    refs = {"street": where.street, "residential_area": where.residential_area, "grid": where.grid}
    ids = [ref.id for ref in refs.values() if ref is not None]
    visible = {
        a.pk: a
        for a in Area.objects.restrict(request.user, Action.VIEW).filter(pk__in=ids).only("code", "name")
    }
    result: dict[str, Any] = {"lon": lon, "lat": lat}
    for key, ref in refs.items():
        area = visible.get(ref.id) if ref is not None else None
        result[key] = (
            {"code": area.code, "name": area.name, "url": area.get_absolute_url()}
            if area is not None
            else None
        )
    return JsonResponse(result, json_dumps_params={"ensure_ascii": False})
