"""多格合一: map the grids of other systems (police, urban management, party building)
onto the comprehensive grids where work is routed.

A layer grid maps to every comprehensive grid that covers more than a share of the layer
grid's own area (setting CIVICGRID_LAYER_OVERLAP_SHARE, default 5%), so a sliver along a
shared road does not count as a match.
"""

from typing import Any

from django.conf import settings

from .geometry import overlap_area, parse_polygon
from .index import grids_intersecting
from .models import Area, GridLayer

DEFAULT_OVERLAP_SHARE = 0.05


def overlap_share() -> float:
    return float(getattr(settings, "CIVICGRID_LAYER_OVERLAP_SHARE", DEFAULT_OVERLAP_SHARE))


def matching_grid_ids(geometry: dict[str, Any], share: float | None = None) -> list[int]:
    """Ids of the comprehensive grids covering more than `share` of the polygon, by code."""
    share = overlap_share() if share is None else share
    shape = parse_polygon(geometry)
    if shape.area <= 0:
        return []
    return [
        ref.id
        for ref, grid_shape in grids_intersecting(shape)
        if overlap_area(shape, grid_shape) > share * shape.area
    ]


def map_layer_grids(layer_grid: GridLayer, share: float | None = None) -> bool:
    """Set the layer grid's comprehensive grids from the geometry; True if they changed.
    (Named in the plural because a layer grid usually maps to several grids.)"""
    wanted = set(matching_grid_ids(layer_grid.geometry, share))
    current = set(layer_grid.comprehensive_grids.values_list("id", flat=True))
    if wanted == current:
        return False
    layer_grid.comprehensive_grids.set(Area.objects.filter(id__in=wanted))
    return True


def map_all_layer_grids(street: Area | int | None = None, share: float | None = None) -> int:
    """Re-map every layer grid (of one street, if given); the number whose mapping changed."""
    qs = GridLayer.objects.all()
    if street is not None:
        qs = qs.filter(street_id=street.pk if isinstance(street, Area) else street)
    return sum(map_layer_grids(layer_grid, share) for layer_grid in qs)
