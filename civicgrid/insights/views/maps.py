"""The dashboard's map data: the grids (or streets) coloured by open and overdue cases, and the
recent cases as points for the heat and cluster layers. Both take the dashboard's own query
string (DashboardFilters): a bad parameter is dropped and named in `errors`, the others apply
(200, like the dashboard page itself).

The polygons' counts come from insights.metrics (the rollups where they can answer), the same
call as the grid ranking, and each feature's links open the workbench on exactly those cases
(`figure=open` / `figure=overdue` with the grid), so a colour, its tooltip and its list agree."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import BooleanField, ExpressionWrapper
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from shapely.geometry import mapping
from shapely.ops import unary_union

from civicgrid.cases.choices import OPEN_STATUSES, CaseStatus
from civicgrid.cases.figures import figure_q
from civicgrid.core import clock
from civicgrid.core.capabilities import require
from civicgrid.core.choices import Action
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.geometry import GeometryError, parse_polygon
from civicgrid.geo.models import Area

from .. import metrics
from ..dashboard.filters import DashboardFilters

# Points drawn at most: the newest first; beyond this the answer says `truncated`.
MAX_POINTS = 3000
# Heat weights: overdue cases burn hottest, open ones warm, the rest (closed, rejected…) faint.
WEIGHT_OVERDUE, WEIGHT_OPEN, WEIGHT_OTHER = 1.0, 0.6, 0.25


@dataclass(frozen=True)
class Thresholds:
    """Colour levels 0–4, overdue first: 4 = overdue ≥ `overdue`, 3 = some overdue,
    2 = open ≥ `open`, 1 = some open, 0 = neither."""

    open: int
    overdue: int

    def level(self, open_count: int, overdue: int) -> int:
        if overdue >= self.overdue:
            return 4
        if overdue > 0:
            return 3
        if open_count >= self.open:
            return 2
        return 1 if open_count > 0 else 0

    def legend(self, unit: str) -> dict[str, Any]:
        labels = [
            _("无在办、无超期"),
            _("在办 1–%(n)s 件") % {"n": self.open - 1},
            _("在办 ≥%(n)s 件") % {"n": self.open},
            _("超期 1–%(n)s 件") % {"n": self.overdue - 1},
            _("超期 ≥%(n)s 件") % {"n": self.overdue},
        ]
        return {
            "unit": unit,
            "thresholds": {"open": self.open, "overdue": self.overdue},
            "levels": [{"level": i, "label": label} for i, label in enumerate(labels)],
        }


# A street holds many grids: its polygon is coloured on a street's scale.
GRID_LEVELS = Thresholds(open=5, overdue=3)
STREET_LEVELS = Thresholds(open=50, overdue=10)


def _open(row: dict[str, Any]) -> int:
    # The open figure (cases.figures "open") from the counts by state: merged cases are in none of them.
    return sum(row["by_status"][status] for status in OPEN_STATUSES)


def _feature(
    area: Area, geometry: Any, row: dict[str, Any] | None, levels: Thresholds, links: dict[str, str]
) -> dict[str, Any]:
    open_count = _open(row) if row else 0
    overdue = row["overdue"] if row else 0
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "code": area.code,
            "name": area.name,
            "open": open_count,
            "overdue": overdue,
            "total": row["total"] if row else 0,
            "level": levels.level(open_count, overdue),
            **links,
        },
    }


def _grid_features(filters: DashboardFilters, street: Area) -> list[dict[str, Any]]:
    grids = Area.objects.restrict(filters.user, Action.VIEW).grids().filter(street=street)
    if filters.area is not None and filters.area.kind not in (AreaKind.STREET, AreaKind.DISTRICT):
        grids = grids.filter(path__startswith=filters.area.path)  # a residential area's or one grid
    rows = metrics.compute(filters.user, group_by="grid", **filters.metrics_args())
    by_key = {row["key"]: row for row in rows}
    return [
        _feature(
            grid,
            grid.geometry,
            by_key.get(grid.pk),
            GRID_LEVELS,
            {
                "url": filters.link(grid=grid.code, figure="open"),
                "overdue_url": filters.link(grid=grid.code, figure="overdue"),
            },
        )
        for grid in grids.order_by("code").only("code", "name", "geometry")
    ]


def _outline(geometries: list[Any]) -> dict[str, Any] | None:
    """The union of the grids' polygons (a street drawn without its own outline), else its hull."""
    shapes = []
    for geometry in geometries:
        try:
            shapes.append(parse_polygon(geometry))
        except GeometryError:
            continue  # a damaged grid is left out of the outline, not the whole answer
    if not shapes:
        return None
    union = unary_union(shapes)
    if union.geom_type not in ("Polygon", "MultiPolygon"):
        union = union.convex_hull
    return dict(mapping(union))


def _street_features(filters: DashboardFilters) -> list[dict[str, Any]]:
    visible = Area.objects.restrict(filters.user, Action.VIEW)
    streets = list(visible.streets().filter(pk__in=filters.street_ids).order_by("code"))
    bare = [s.pk for s in streets if not s.geometry]
    grid_shapes: dict[int, list[Any]] = {}
    if bare:
        outlines = visible.grids().filter(street_id__in=bare).values_list("street_id", "geometry")
        for street_id, geometry in outlines:
            grid_shapes.setdefault(street_id, []).append(geometry)
    rows = metrics.compute(filters.user, group_by="street", **filters.metrics_args())
    by_key = {row["key"]: row for row in rows}
    features = []
    for street in streets:
        geometry = street.geometry or _outline(grid_shapes.get(street.pk, []))
        links = {
            "url": filters.link(street=street.code, figure="open"),
            "overdue_url": filters.link(street=street.code, figure="overdue"),
        }
        features.append(_feature(street, geometry, by_key.get(street.pk), STREET_LEVELS, links))
    return features


@login_required
def map_grids(request: HttpRequest) -> JsonResponse:
    """GeoJSON of the grids of the one street shown (or of each street shown, district-wide),
    with the period's open/overdue/total counts under the dashboard's filter."""
    require(request.user, "insights.dashboard")
    filters = DashboardFilters(request.GET, request.user)
    street = filters.single_street
    if street is not None:
        features, legend = _grid_features(filters, street), GRID_LEVELS.legend("grid")
    else:
        features, legend = _street_features(filters), STREET_LEVELS.legend("street")
    data = {"type": "FeatureCollection", "features": features, "legend": legend, "errors": filters.errors}
    return JsonResponse(data, content_type="application/geo+json", json_dumps_params={"ensure_ascii": False})


@login_required
def map_points(request: HttpRequest) -> JsonResponse:
    """The period's cases with coordinates under the dashboard's filter, newest first (at most
    MAX_POINTS): heat points [lat, lon, weight] and the cases' number, place, status and whether
    overdue (the overdue figure's own condition) — nothing about the reporter."""
    require(request.user, "insights.dashboard")
    filters = DashboardFilters(request.GET, request.user)
    now = clock.now()
    rows = list(
        filters.cases()
        .filter(lon__isnull=False, lat__isnull=False)
        .annotate(late=ExpressionWrapper(figure_q("overdue", now), output_field=BooleanField()))
        .order_by("-received_at", "-pk")
        .values_list("number", "lat", "lon", "status", "late")[: MAX_POINTS + 1]
    )
    truncated = len(rows) > MAX_POINTS
    points, cases = [], []
    for number, lat, lon, status, late in rows[:MAX_POINTS]:
        weight = WEIGHT_OVERDUE if late else WEIGHT_OPEN if status in OPEN_STATUSES else WEIGHT_OTHER
        points.append([lat, lon, weight])
        cases.append({"number": number, "lat": lat, "lon": lon, "status": status, "overdue": bool(late)})
    data = {
        "points": points,
        "cases": cases,
        "truncated": truncated,
        "statuses": {value: str(label) for value, label in CaseStatus.choices},
        "errors": filters.errors,
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


urlpatterns = [
    path("dashboard/map/grids.json", map_grids, name="map_grids"),
    path("dashboard/map/points.json", map_points, name="map_points"),
]
