"""GeoJSON ⇄ shapely, with validation that names what is wrong."""

import math
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
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
    _check_structure(geojson)
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


def _check_structure(geojson: dict[str, Any]) -> None:
    """What shapely would silently accept or repair: RFC 7946 wants every ring closed
    (first position = last) with at least four positions of two or three finite numbers."""
    coordinates = geojson.get("coordinates")
    if not isinstance(coordinates, list | tuple):
        raise GeometryError("缺少坐标（coordinates 必须是数组）")
    polygons = [coordinates] if geojson["type"] == "Polygon" else coordinates
    for p, rings in enumerate(polygons, start=1):
        where = f"第 {p} 个多边形的" if geojson["type"] == "MultiPolygon" else ""
        if not isinstance(rings, list | tuple):
            raise GeometryError(f"{where}坐标格式错误：多边形必须是环的数组")
        for r, ring in enumerate(rings, start=1):
            label = f"{where}{'外环' if r == 1 else f'第 {r - 1} 个内环'}"
            if not isinstance(ring, list | tuple) or not all(_is_position(pos) for pos in ring):
                raise GeometryError(f"{label}坐标格式错误：每个点必须是 [经度, 纬度] 数字")
            if len(ring) < 4:
                raise GeometryError(f"{label}至少需要 4 个点（首尾相同），实际 {len(ring)} 个")
            first, last = list(ring[0][:2]), list(ring[-1][:2])
            if first != last:
                raise GeometryError(f"{label}未闭合：首点 {first} 与末点 {last} 不同")


def _is_position(pos: Any) -> bool:
    return (
        isinstance(pos, list | tuple)
        and len(pos) in (2, 3)
        and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in pos)
    )


def overlap_area(a: BaseGeometry, b: BaseGeometry) -> float:
    """Area shared by two shapes; touching edges share nothing."""
    return float(shapely.area(shapely.intersection(a, b)))


# Relative tolerance: shared edges computed in floating point may overlap by slivers.
OVERLAP_TOLERANCE = 1e-9


def overlaps(a: BaseGeometry, b: BaseGeometry) -> bool:
    return overlap_area(a, b) > OVERLAP_TOLERANCE * min(a.area, b.area) + 1e-14
