"""locate: N random points into the demo grids.

Measured: geo.index.locate_many (the vectorised path: STRtree query, then a Location per
point) and, on a subset, the per-point locate(). Baseline: shapely.contains_xy vectorised
over the same grid polygons, one call per polygon. Points are drawn uniformly, seeded, over
the bounding box of each demo street (equal shares), so almost all of them fall in a grid.
Index construction and polygon preparation are done before timing in both cases.
"""

import numpy as np
import shapely

from .common import Figure, Result, Target, Timer, rate

TARGET_RATIO = 0.5


def street_boxes() -> list[tuple[float, float, float, float]]:
    from civicgrid.geo.choices import AreaKind
    from civicgrid.geo.geometry import parse_polygon
    from civicgrid.geo.models import Area

    boxes = []
    for geometry in (
        Area.objects.filter(kind=AreaKind.STREET)
        .filter(geometry__isnull=False)
        .values_list("geometry", flat=True)
    ):
        boxes.append(tuple(parse_polygon(geometry).bounds))
    return sorted(boxes)


def random_points(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    boxes = street_boxes()
    if not boxes:
        raise RuntimeError("no street with a polygon: load the demo geography first (load_demo --no-cases)")
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(boxes), n)
    b = np.array(boxes)[which]
    xs = b[:, 0] + rng.random(n) * (b[:, 2] - b[:, 0])
    ys = b[:, 1] + rng.random(n) * (b[:, 3] - b[:, 1])
    return xs, ys


def baseline_contains_xy(shapes: list, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Index of the first polygon (in the index's code order) containing each point, or -1."""
    result = np.full(len(xs), -1, dtype=np.int64)
    for i, poly in enumerate(shapes):
        hit = shapely.contains_xy(poly, xs, ys)
        result[hit & (result < 0)] = i
    return result


def run(points: int = 200_000, seed: int = 1, subset: int = 20_000) -> Result:
    from civicgrid.geo import index

    xs, ys = random_points(points, seed)
    spatial = index.get_index()  # built (and cached) before timing
    shapes = list(spatial.grids.shapes)
    if not shapes:
        raise RuntimeError("no grid polygons in the database")
    # Copies, prepared up front, so the baseline's preparation leaves the index untouched.
    baseline_shapes = list(shapely.from_wkb(shapely.to_wkb(shapes)))
    shapely.prepare(baseline_shapes)

    with Timer() as t_many:
        located = index.locate_many(xs, ys)  # type: ignore[arg-type]  # arrays are accepted as-is
    with Timer() as t_base:
        expected = baseline_contains_xy(baseline_shapes, xs, ys)
    n_single = min(subset, points)
    with Timer() as t_single:
        singles = [
            index.locate(float(x), float(y)) for x, y in zip(xs[:n_single], ys[:n_single], strict=True)
        ]

    position = {ref.id: i for i, ref in enumerate(spatial.grids.refs)}
    got = np.array([position[loc.grid.id] if loc.grid else -1 for loc in located], dtype=np.int64)
    agree = bool(np.array_equal(got, expected)) and all(
        (a.grid.id if a.grid else None) == (b.grid.id if b.grid else None)
        for a, b in zip(singles, located[:n_single], strict=True)
    )
    many_rate = rate(points, t_many.seconds)
    base_rate = rate(points, t_base.seconds)
    ratio = many_rate / base_rate
    return Result(
        name="locate",
        size=f"{points:,} points, {len(shapes)} grid polygons, seed {seed}",
        figures=[
            Figure("locate_many", many_rate, "points/s"),
            Figure("locate() per point", rate(n_single, t_single.seconds), f"points/s ({n_single:,} points)"),
            Figure("baseline shapely.contains_xy", base_rate, "points/s"),
            Figure("points in a grid", float((expected >= 0).sum())),
        ],
        ratio=ratio,
        ratio_label="locate_many / contains_xy",
        targets=[
            Target(f"locate_many ≥ {TARGET_RATIO:.0%} of the baseline ({ratio:.0%})", ratio >= TARGET_RATIO)
        ],
        agree=agree,
    )
