"""Address normalisation and find_building()."""

import pytest

from civicgrid.core.address import lane_of, normalize_address
from civicgrid.geo.models import Building
from civicgrid.geo.services import find_building


@pytest.mark.parametrize(
    "raw",
    [
        "崂山二村11号",
        "崂山二村 11 号",
        "崂山二村 11号",
        " 崂山二村11号 ",
        "崂山二村１１号",  # full-width digits
        "崂山二村　１１　号",  # full-width (ideographic) spaces
        "崂山二村\t11\n号",
        "上海市浦东新区崂山二村11号",
        "上海浦东新区崂山二村11号",
        "中国上海市浦东新区崂山二村 11 号",
        "浦东新区崂山二村11号",
        "上海市崂山二村11号",
    ],
)
def test_spellings_of_one_address_normalise_alike(raw):
    assert normalize_address(raw) == "崂山二村11号"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("乳山路235弄1－4号", "乳山路235弄1-4号"),  # full-width hyphen
        ("乳山路235弄1—4号", "乳山路235弄1-4号"),  # em dash
        ("乳山路235弄1–4号", "乳山路235弄1-4号"),  # en dash
        ("乳山路235弄1~4号", "乳山路235弄1-4号"),
        ("乳山路235弄1～4号", "乳山路235弄1-4号"),
        ("杨浦区国定支路28号", "国定支路28号"),
        ("徐汇区乌鲁木齐南路６６号", "乌鲁木齐南路66号"),
        ("永嘉路 492 弄", "永嘉路492弄"),
        # "上海" is a prefix only as the city: estate and road names keep it.
        ("上海康城1号", "上海康城1号"),
        ("闵行区上海康城1号", "上海康城1号"),
        ("中国银行大楼", "中国银行大楼"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalisation(raw, expected):
    assert normalize_address(raw) == expected


def test_normalisation_is_idempotent():
    for raw in ["上海市浦东新区崂山二村 11 号", "乳山路235弄1—4号", "永嘉路４９２弄"]:
        once = normalize_address(raw)
        assert normalize_address(once) == once


@pytest.mark.parametrize(
    ("address", "lane"),
    [
        ("乳山路235弄3号", "乳山路235弄"),
        ("乳山路235弄1-4号", "乳山路235弄"),
        ("三门路358弄12号", "三门路358弄"),
        ("永嘉路492弄", None),  # already the lane
        ("崂山二村11号", None),  # estate + number, no lane
        ("国定支路28号", None),
        ("乳山路235弄3号楼", None),
    ],
)
def test_lane_of(address, lane):
    assert lane_of(address) == lane


def test_building_stores_its_normalised_address_and_place(world):
    grid = world.east.grids[0]
    building = Building.objects.create(address="上海市 崂山二村 １１ 号", lon=121.052, lat=31.202)
    assert building.normalized_address == "崂山二村11号"
    assert building.grid == grid
    assert building.residential_area == grid.parent
    assert building.street == world.east.street


def test_find_building_exact(world):
    building = Building.objects.create(address="崂山二村11号", lon=121.052, lat=31.202)
    for typed in ["崂山二村11号", "崂山二村 11 号", "崂山二村１１号", "上海市浦东新区崂山二村11号"]:
        assert find_building(typed) == building
    # One of the world's buildings, by its own address.
    world_building = world.west.buildings[2]
    assert find_building(world_building.address) == world_building


def test_find_building_prefers_the_number_then_falls_back_to_the_lane(world):
    lane = Building.objects.create(address="乳山路235弄", lon=121.052, lat=31.202)
    number = Building.objects.create(address="乳山路235弄3号", lon=121.053, lat=31.203)
    assert find_building("乳山路235弄3号") == number
    assert find_building("乳山路 235 弄 ３ 号") == number
    assert find_building("乳山路235弄4号") == lane  # no building 4: the lane entry
    assert find_building("乳山路235弄") == lane


def test_find_building_is_none_when_ambiguous(world):
    # The same address in both streets (unique per street, not city-wide).
    east = Building.objects.create(address="永嘉路492弄", lon=121.052, lat=31.202)
    west = Building.objects.create(address="永嘉路492弄", lon=121.012, lat=31.202)
    assert east.street != west.street
    assert find_building("永嘉路492弄") is None
    assert find_building("永嘉路492弄5号") is None  # the lane fallback is ambiguous too
    assert find_building("永嘉路492弄", street_id=world.east.street.pk) == east
    assert find_building("永嘉路492弄5号", street_id=world.west.street.pk) == west


@pytest.mark.parametrize("typed", ["福山路1号", "乳山路235弄3号", "", "   ", "上海市"])
def test_find_building_unknown(world, typed):
    assert find_building(typed) is None


def test_find_building_in_another_street_is_not_found(world):
    Building.objects.create(address="三门路358弄", lon=121.052, lat=31.202)
    assert find_building("三门路358弄", street_id=world.west.street.pk) is None
    assert find_building("三门路358弄", street_id=world.east.street.pk) is not None
