"""多格合一: layer grids mapped onto the comprehensive grids they overlap by more than a share."""

import pytest

from civicgrid.geo.choices import GridLayerKind
from civicgrid.geo.layers import map_all_layer_grids, map_layer_grids, matching_grid_ids, overlap_share
from civicgrid.geo.models import GridLayer
from civicgrid.testing.factories import box


def codes(layer_grid: GridLayer) -> list[str]:
    return sorted(layer_grid.comprehensive_grids.values_list("code", flat=True))


def layer_grid(world, street="east", code="JW-01", geometry=None, layer=GridLayerKind.POLICE) -> GridLayer:
    return GridLayer.objects.create(
        layer=layer,
        code=code,
        name=f"{code}网格",
        street=getattr(world, street).street,
        geometry=geometry,
    )


def test_default_share_is_five_percent(settings):
    del settings.CIVICGRID_LAYER_OVERLAP_SHARE
    assert overlap_share() == 0.05
    settings.CIVICGRID_LAYER_OVERLAP_SHARE = 0.2
    assert overlap_share() == 0.2


def test_a_layer_grid_maps_to_every_grid_it_covers(world):
    # The east street's four grids meet at (121.06, 31.21); this square sits on that corner.
    police = layer_grid(world, geometry=box(121.055, 31.205, 121.065, 31.215))
    assert map_layer_grids(police) is True
    assert codes(police) == sorted(g.code for g in world.east.grids)
    assert map_layer_grids(police) is False  # nothing to change the second time


def test_slivers_under_the_share_do_not_count(world, settings):
    settings.CIVICGRID_LAYER_OVERLAP_SHARE = 0.05
    south, north = world.east.grids[0], world.east.grids[1]
    # 96% in the southern grid, 4% across the border into the northern one.
    urban = layer_grid(world, geometry=box(121.05, 31.2004, 121.06, 31.2104), layer=GridLayerKind.URBAN)
    map_layer_grids(urban)
    assert codes(urban) == [south.code]
    # A lower share lets the sliver count, from the setting or per call.
    settings.CIVICGRID_LAYER_OVERLAP_SHARE = 0.01
    assert map_layer_grids(urban) is True
    assert codes(urban) == [south.code, north.code]
    assert matching_grid_ids(urban.geometry, share=0.5) == [south.pk]


def test_touching_is_not_overlapping(world):
    # Shares only an edge with the east street's western grids.
    party = layer_grid(world, geometry=box(121.04, 31.20, 121.05, 31.22), layer=GridLayerKind.PARTY)
    map_layer_grids(party)
    assert codes(party) == []


def test_a_layer_grid_may_reach_grids_of_another_street(world):
    wide = layer_grid(world, geometry=box(121.025, 31.20, 121.055, 31.21))
    map_layer_grids(wide)
    assert codes(wide) == sorted([world.west.grids[2].code, world.east.grids[0].code])


def test_mapping_drops_grids_no_longer_covered(world):
    police = layer_grid(world, geometry=box(121.055, 31.205, 121.065, 31.215))
    map_layer_grids(police)
    police.geometry = box(121.051, 31.201, 121.059, 31.209)
    police.save()
    assert map_layer_grids(police) is True
    assert codes(police) == [world.east.grids[0].code]


def test_map_all_for_one_street(world):
    east = layer_grid(world, "east", "JW-E", box(121.051, 31.201, 121.059, 31.209))
    west = layer_grid(world, "west", "JW-W", box(121.011, 31.201, 121.019, 31.209))

    assert map_all_layer_grids(street=world.east.street) == 1
    assert codes(east) == [world.east.grids[0].code]
    assert codes(west) == []

    assert map_all_layer_grids() == 1  # only the west one still needed mapping
    assert codes(west) == [world.west.grids[0].code]
    assert map_all_layer_grids(street=world.west.street.pk) == 0


@pytest.mark.parametrize("share", [0.0, 0.3])
def test_share_is_of_the_layer_grids_own_area(world, share):
    # Twice the size of a grid, half over one grid: 50% of its own area is in it.
    big = layer_grid(world, geometry=box(121.05, 31.20, 121.06, 31.22))
    small_part = layer_grid(world, code="JW-02", geometry=box(121.06, 31.20, 121.08, 31.21))
    map_all_layer_grids(share=share)
    assert codes(big) == [world.east.grids[0].code, world.east.grids[1].code]
    # 121.06–121.07 is in the east street's …0201 grid, 121.07–121.08 in no grid at all.
    assert codes(small_part) == [world.east.grids[2].code]
