"""The in-memory spatial index behind locate().

One STRtree per level (grid, residential area, street) built from the database on first
use and rebuilt after any Area changes. Other processes learn of a change through a
version number in the shared cache, checked at most once per second.
"""

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.core.cache import cache
from django.db import connection
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from .choices import AreaKind
from .geometry import overlaps, parse_polygon

VERSION_KEY = "civicgrid:geo-index-version"
VERSION_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class PlaceRef:
    """A light copy of an Area, safe to keep in memory and hand out."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None

    @classmethod
    def of(cls, area: Any) -> "PlaceRef":
        return cls(area.pk, area.code, area.name, area.kind, area.parent_id)


@dataclass(frozen=True)
class Location:
    street: PlaceRef | None = None
    residential_area: PlaceRef | None = None
    grid: PlaceRef | None = None

    def __bool__(self) -> bool:
        return self.street is not None


class _Level:
    def __init__(self, refs: list[PlaceRef], shapes: list[BaseGeometry]) -> None:
        # Sort by code so that a point on a shared border resolves deterministically.
        order = sorted(range(len(refs)), key=lambda i: refs[i].code)
        self.refs = [refs[i] for i in order]
        self.shapes = [shapes[i] for i in order]
        self.tree = STRtree(self.shapes) if self.shapes else None

    def hit(self, point: BaseGeometry) -> PlaceRef | None:
        if self.tree is None:
            return None
        hits = self.tree.query(point, predicate="intersects")
        return self.refs[int(hits.min())] if len(hits) else None

    def hit_many(self, points: np.ndarray) -> np.ndarray:
        """Index into refs (or -1) for each point; the lowest code wins on borders."""
        if self.tree is None or not len(points):
            return np.full(len(points), -1, dtype=np.int64)
        point_idx, shape_idx = self.tree.query(points, predicate="intersects")
        # Unbuffered minimum: numpy does not define which of repeated fancy-index writes wins.
        none = len(self.refs)
        result = np.full(len(points), none, dtype=np.int64)
        np.minimum.at(result, point_idx, shape_idx.astype(np.int64))
        result[result == none] = -1
        return result


class SpatialIndex:
    def __init__(self) -> None:
        from .models import Area

        by_kind: dict[str, tuple[list[PlaceRef], list[BaseGeometry]]] = {
            AreaKind.STREET: ([], []),
            AreaKind.RESIDENTIAL: ([], []),
            AreaKind.GRID: ([], []),
        }
        self.refs: dict[int, PlaceRef] = {}
        rows = Area.objects.values_list("id", "code", "name", "kind", "parent_id", "geometry")
        for pk, code, name, kind, parent_id, geometry in rows.iterator():
            ref = PlaceRef(pk, code, name, kind, parent_id)
            self.refs[pk] = ref
            if geometry and kind in by_kind:
                by_kind[kind][0].append(ref)
                by_kind[kind][1].append(parse_polygon(geometry))
        self.grids = _Level(*by_kind[AreaKind.GRID])
        self.residential = _Level(*by_kind[AreaKind.RESIDENTIAL])
        self.streets = _Level(*by_kind[AreaKind.STREET])

    def _up(self, ref: PlaceRef | None, kind: str) -> PlaceRef | None:
        while ref is not None and ref.kind != kind:
            ref = self.refs.get(ref.parent_id) if ref.parent_id else None
        return ref

    def _complete(
        self, grid: PlaceRef | None, residential: PlaceRef | None, street: PlaceRef | None
    ) -> Location:
        residential = self._up(grid, AreaKind.RESIDENTIAL) if grid else residential
        street = self._up(residential, AreaKind.STREET) if residential else street
        return Location(street=street, residential_area=residential, grid=grid)

    def locate(self, lon: float, lat: float) -> Location:
        point = shapely.points(lon, lat)
        grid = self.grids.hit(point)
        if grid is not None:
            return self._complete(grid, None, None)
        residential = self.residential.hit(point)
        if residential is not None:
            return self._complete(None, residential, None)
        return self._complete(None, None, self.streets.hit(point))

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[Location]:
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        grid_idx = self.grids.hit_many(points)
        missing = np.flatnonzero(grid_idx < 0)
        res_idx = np.full(len(points), -1, dtype=np.int64)
        street_idx = np.full(len(points), -1, dtype=np.int64)
        if len(missing):
            res_idx[missing] = self.residential.hit_many(points[missing])
            still = missing[res_idx[missing] < 0]
            if len(still):
                street_idx[still] = self.streets.hit_many(points[still])
        out: list[Location] = []
        for g, r, s in zip(grid_idx.tolist(), res_idx.tolist(), street_idx.tolist(), strict=True):
            out.append(
                self._complete(
                    self.grids.refs[g] if g >= 0 else None,
                    self.residential.refs[r] if r >= 0 else None,
                    self.streets.refs[s] if s >= 0 else None,
                )
            )
        return out

    def overlapping_grids(self, geom: BaseGeometry) -> list[PlaceRef]:
        return [ref for ref, shape in self.grids_intersecting(geom) if overlaps(geom, shape)]

    def grids_intersecting(self, geom: BaseGeometry) -> list[tuple[PlaceRef, BaseGeometry]]:
        """Grids whose polygon meets `geom` (touching included), by code, with their shapes."""
        if self.grids.tree is None:
            return []
        candidates = self.grids.tree.query(geom, predicate="intersects")
        return [(self.grids.refs[i], self.grids.shapes[i]) for i in sorted(candidates)]


_lock = threading.Lock()
_index: SpatialIndex | None = None
_index_version: int | None = None
_last_check = 0.0
# Set while an uncommitted transaction has changed areas: an index built then may hold rows
# that a rollback will discard, so it is rebuilt once the transaction is over either way.
_uncommitted_change = False


def mark_uncommitted_change() -> None:
    global _uncommitted_change
    _uncommitted_change = True


def committed() -> None:
    global _uncommitted_change
    _uncommitted_change = False
    invalidate()


def invalidate() -> None:
    """Drop this process's index and tell the other processes to drop theirs."""
    global _index
    with _lock:
        _index = None
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, None)


def get_index() -> SpatialIndex:
    global _index, _index_version, _last_check, _uncommitted_change
    if _uncommitted_change and not connection.in_atomic_block:
        # The transaction that changed areas ended without committing (no on_commit ran).
        _uncommitted_change = False
        invalidate()
    now = time.monotonic()
    if _index is not None and now - _last_check < VERSION_CHECK_SECONDS:
        return _index
    version = cache.get(VERSION_KEY, 0)
    with _lock:
        _last_check = now
        if _index is None or version != _index_version:
            _index = SpatialIndex()
            _index_version = version
        return _index


def locate(lon: float, lat: float) -> Location:
    """The street, residential area and grid containing the point (WGS84), or an empty Location."""
    return get_index().locate(float(lon), float(lat))


def locate_many(lons: Sequence[float], lats: Sequence[float]) -> list[Location]:
    return get_index().locate_many(lons, lats)


def overlapping_grids(geom: BaseGeometry) -> list[PlaceRef]:
    return get_index().overlapping_grids(geom)


def grids_intersecting(geom: BaseGeometry) -> list[tuple[PlaceRef, BaseGeometry]]:
    return get_index().grids_intersecting(geom)
