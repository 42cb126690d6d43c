import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from civicgrid.cases import actions, duplicates
from civicgrid.cases.choices import CaseStatus

from .factories import make_case

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_distance_and_similarity():
    assert duplicates.distance_m(121.0, 31.0, 121.0, 31.0) == 0
    assert 90 < duplicates.distance_m(121.0, 31.0, 121.001, 31.0) < 100  # ~95 m per 0.001° of lon at 31°N
    assert duplicates.similarity("楼上夜间噪声扰民", "夜间楼上噪声扰民严重") > 0.6
    # 楼上 噪声 声扰 扰民 of 楼上 上噪 噪声 声扰 扰民 are in the longer text: 4/5.
    assert duplicates.similarity("楼上夜间噪声扰民，影响休息", "楼上噪声扰民") == 0.8
    assert duplicates.similarity("楼上夜间噪声扰民", "路面塌陷有坑") == 0


def test_suggests_same_category_nearby_recent_similar(world):
    base = world.east.grids[0].shape.centroid
    first = make_case(world, received_at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH))
    near = make_case(
        world,
        lon=base.x + 0.0002,
        received_at=dt.datetime(2026, 11, 3, 9, 0, tzinfo=SH),
        description="楼上夜里噪声扰民",
    )
    assert near.events.get().data["duplicate_candidates"] == [first.number]
    far = make_case(world, lon=base.x + 0.003, received_at=dt.datetime(2026, 11, 3, 9, 0, tzinfo=SH))
    other_kind = make_case(world, category="E2101", received_at=dt.datetime(2026, 11, 3, 9, 0, tzinfo=SH))
    unlike = make_case(
        world, description="小区门口路面坑洼", received_at=dt.datetime(2026, 11, 3, 9, 0, tzinfo=SH)
    )
    late = make_case(world, received_at=dt.datetime(2026, 11, 12, 9, 0, tzinfo=SH))
    for case in (far, other_kind, unlike, late):
        assert first.number not in case.events.get().data["duplicate_candidates"], case.description


def test_same_building_counts_even_without_points(world):
    one = make_case(world, lon=None, lat=None, address="东路11号")
    two = make_case(world, lon=None, lat=None, address="东路 11 号", description="楼上噪声扰民严重")
    assert [c.case for c in duplicates.candidates(two)] == [one]
    assert duplicates.candidates(two)[0].same_building


def test_closed_cases_are_not_suggested(world):
    first = make_case(world)
    actions.run_action(first.pk, "reject", world.user("east", "dispatcher"), {"reason": "重复"})
    assert make_case(world).events.get().data["duplicate_candidates"] == []
    assert first.status == CaseStatus.NEW  # the instance we hold is stale; the row is rejected
