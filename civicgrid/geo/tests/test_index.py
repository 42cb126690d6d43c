"""locate() and its spatial index, on the two-street world of the factories.

World layout (lon × lat): the east street covers 121.05–121.07 × 31.20–31.22, the west one
121.01–121.03; each has two residential areas side by side (0.01° wide), each split into
a southern grid (…01) and a northern grid (…02).
"""

import random

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from civicgrid.geo import index
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.index import Location, locate, locate_many
from civicgrid.geo.models import Area
from civicgrid.testing.factories import box


def centre(area: Area) -> tuple[float, float]:
    point = area.shape.centroid
    return point.x, point.y


def test_every_grid_locates_its_own_centre(world):
    grids = world.east.grids + world.west.grids
    assert len(grids) == 8
    for grid in grids:
        where = locate(*centre(grid))
        assert where.grid.code == grid.code
        assert where.grid.id == grid.pk
        assert where.residential_area.code == grid.parent.code
        assert where.street.code == grid.street.code
        assert where.street.kind == AreaKind.STREET


def test_points_inside_each_grid_near_its_corners(world):
    for grid in world.east.grids + world.west.grids:
        x0, y0, x1, y1 = grid.shape.bounds
        for lon, lat in [(x0 + 1e-6, y0 + 1e-6), (x1 - 1e-6, y1 - 1e-6), (x0 + 1e-6, y1 - 1e-6)]:
            assert locate(lon, lat).grid.code == grid.code


def test_shared_border_resolves_to_the_lowest_code(world):
    south, north = world.east.grids[0], world.east.grids[1]  # …01 below …02, sharing lat 31.21
    assert south.code < north.code
    border = (121.055, 31.21)
    assert locate(*border).grid.code == south.code
    # A corner shared by four grids of two residential areas.
    corner = (121.06, 31.21)
    assert locate(*corner).grid.code == south.code
    assert locate(*corner).residential_area.code == world.east.residential[0].code
    # The same answer every time, and from the vectorised path too.
    assert {locate(*border).grid.code for _ in range(5)} == {south.code}
    assert [loc.grid.code for loc in locate_many([border[0], corner[0]], [border[1], corner[1]])] == [
        south.code,
        south.code,
    ]


@pytest.mark.parametrize("point", [(121.04, 31.21), (121.5, 31.23), (121.055, 31.25), (0.0, 0.0)])
def test_outside_every_area_is_an_empty_location(world, point):
    where = locate(*point)
    assert where == Location()
    assert not where
    assert where.street is None and where.residential_area is None and where.grid is None


def test_inside_a_street_but_outside_its_grids(world):
    # A residential area without grids: the point still resolves to it and its street.
    ra = Area.objects.create(
        kind=AreaKind.RESIDENTIAL,
        code="900001001009",
        name="无网格居民区",
        parent=world.east.street,
        geometry=box(121.07, 31.20, 121.08, 31.21),
    )
    where = locate(121.075, 31.205)
    assert where.grid is None
    assert where.residential_area.code == ra.code
    assert where.street.code == world.east.street.code


def test_locate_many_agrees_with_locate(world):
    rng = random.Random(20250101)
    # The district's box plus a margin, and every grid vertex and edge midpoint (borders).
    lons = [rng.uniform(120.99, 121.11) for _ in range(200)]
    lats = [rng.uniform(31.18, 31.24) for _ in range(200)]
    for grid in world.east.grids + world.west.grids:
        x0, y0, x1, y1 = grid.shape.bounds
        for lon, lat in [(x0, y0), (x1, y1), ((x0 + x1) / 2, y0), (x1, (y0 + y1) / 2)]:
            lons.append(lon)
            lats.append(lat)

    many = locate_many(lons, lats)

    assert len(many) == len(lons)
    assert many == [locate(lon, lat) for lon, lat in zip(lons, lats, strict=True)]
    # The sample is not degenerate: it has grid hits and misses.
    assert sum(1 for loc in many if loc.grid) > 20
    assert sum(1 for loc in many if not loc) > 20


def test_locate_many_of_nothing(world):
    assert locate_many([], []) == []


def test_index_follows_a_geometry_change(world):
    grid = world.east.grids[0]
    assert locate(121.055, 31.205).grid.code == grid.code
    # Shrink the grid to its western half: the eastern half is outside every grid now.
    grid.geometry = box(121.05, 31.20, 121.054, 31.21)
    grid.save()
    assert locate(121.052, 31.205).grid.code == grid.code
    where = locate(121.058, 31.205)
    assert where.grid is None
    assert where.residential_area.code == grid.parent.code


def test_index_follows_a_new_and_a_deleted_area(world):
    point = (121.075, 31.215)
    assert locate(*point).grid is None
    ra = Area.objects.create(
        kind=AreaKind.RESIDENTIAL,
        code="900001001009",
        name="新居民区",
        parent=world.east.street,
        geometry=box(121.07, 31.21, 121.08, 31.22),
    )
    grid = Area.objects.create(
        kind=AreaKind.GRID, code="90000100100901", name="新网格", parent=ra, geometry=ra.geometry
    )
    assert locate(*point).grid.code == grid.code
    grid.delete()
    assert locate(*point).grid is None
    assert locate(*point).residential_area.code == ra.code
    ra.delete()
    assert not locate(*point)


def test_index_follows_a_rename(world):
    grid = world.west.grids[3]
    grid.name = "改名网格"
    grid.save()
    assert locate(*centre(grid)).grid.name == "改名网格"


def test_other_processes_rebuild_when_the_shared_version_moves(world, monkeypatch):
    """A change made elsewhere reaches this process through the cache version."""
    grid = world.east.grids[0]
    assert locate(*centre(grid)).grid.name == grid.name
    # Another process renames the grid: this process' signals never fire.
    Area.objects.filter(pk=grid.pk).update(name="别处改名")
    monkeypatch.setattr(index, "_last_check", 0.0)
    assert locate(*centre(grid)).grid.name == grid.name  # same version: still the cached index
    cache.incr(index.VERSION_KEY)
    monkeypatch.setattr(index, "_last_check", 0.0)
    assert locate(*centre(grid)).grid.name == "别处改名"


# --- Area.clean ---------------------------------------------------------------------------


def test_clean_rejects_a_grid_overlapping_another(world):
    other = world.east.grids[0]
    grid = Area(
        kind=AreaKind.GRID,
        code="90000100100103",
        name="重叠网格",
        parent=world.east.residential[0],
        geometry=box(121.055, 31.205, 121.065, 31.215),
    )
    with pytest.raises(ValidationError) as exc:
        grid.full_clean()
    assert "与已有网格重叠" in str(exc.value.message_dict["geometry"])
    assert other.code in str(exc.value.message_dict["geometry"])


def test_clean_accepts_a_grid_touching_its_neighbours(world):
    grid = Area(
        kind=AreaKind.GRID,
        code="90000100100103",
        name="相邻网格",
        parent=world.east.residential[0],
        geometry=box(121.07, 31.20, 121.08, 31.21),
    )
    grid.full_clean()
    # An existing grid redrawn over its own old shape does not clash with itself.
    own = world.east.grids[0]
    own.geometry = box(121.05, 31.20, 121.06, 31.205)
    own.full_clean()


@pytest.mark.parametrize(
    ("kind", "parent_attr", "message"),
    [
        (AreaKind.GRID, "street", "网格的上级必须是居民区"),
        (AreaKind.RESIDENTIAL, "district", "居民区的上级必须是街道"),
        (AreaKind.STREET, None, "街道的上级必须是区"),
        (AreaKind.DISTRICT, "district", "区不能有上级区域"),
    ],
)
def test_clean_rejects_a_wrong_parent_kind(world, kind, parent_attr, message):
    parent = {"street": world.east.street, "district": world.district, None: None}[parent_attr]
    area = Area(
        kind=kind, code="X1", name="错误上级", parent=parent, geometry=box(121.2, 31.2, 121.21, 31.21)
    )
    with pytest.raises(ValidationError) as exc:
        area.full_clean()
    assert message in str(exc.value.message_dict["parent"])
