"""GeoJSON ⇄ shapely, with validation that names what is wrong."""

from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

# Loose bounds for China; a point outside is almost certainly swapped lon/lat or a typo.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)


class GeometryError(ValueError):
    """A geometry that cannot be stored; the message says why, in Chinese."""


def parse_polygon(geojson: Any) -> Polygon | MultiPolygon:
    """Validate a GeoJSON Polygon/MultiPolygon geometry dict and return the shapely shape."""
    if not isinstance(geojson, dict) or "type" not in geojson:
        raise GeometryError("几何数据不是 GeoJSON 几何对象（缺少 type）")
    if geojson["type"] not in ("Polygon", "MultiPolygon"):
        raise GeometryError(f"几何类型必须是 Polygon 或 MultiPolygon，而不是 {geojson['type']}")
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise GeometryError(f"坐标无法解析：{exc}") from exc
    if geom.is_empty:
        raise GeometryError("多边形为空")
    if not geom.is_valid:
        raise GeometryError(f"多边形无效：{explain_validity(geom)}")
    minx, miny, maxx, maxy = geom.bounds
    if not (LON_RANGE[0] <= minx and maxx <= LON_RANGE[1] and LAT_RANGE[0] <= miny and maxy <= LAT_RANGE[1]):
        raise GeometryError("坐标超出中国范围（经度/纬度是否写反？应为 WGS84 经纬度）")
    return geom


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    return dict(mapping(geom))


def overlap_area(a: BaseGeometry, b: BaseGeometry) -> float:
    """Area shared by two shapes; touching edges share nothing."""
    return float(shapely.area(shapely.intersection(a, b)))


# Relative tolerance: shared edges computed in floating point may overlap by slivers.
OVERLAP_TOLERANCE = 1e-9


def overlaps(a: BaseGeometry, b: BaseGeometry) -> bool:
    return overlap_area(a, b) > OVERLAP_TOLERANCE * min(a.area, b.area) + 1e-14
