"""The dashboard's shared filter (insights.dashboard.filters) and the day rollups it reads."""

from datetime import date
from typing import Any

import pytest

from civicgrid.cases.models import Case
from civicgrid.core.choices import Role
from civicgrid.core.errors import InvalidInput
from civicgrid.core.params import Kind, Param
from civicgrid.insights import rollups
from civicgrid.insights.dashboard.filters import DashboardFilters, period_days, previous_days
from civicgrid.insights.models import DayRollup
from civicgrid.insights.tests.data import populate

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 3)  # a Thursday


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("today", date(2026, 12, 3), date(2026, 12, 3)),
        ("7d", date(2026, 11, 27), date(2026, 12, 3)),
        ("week", date(2026, 11, 30), date(2026, 12, 3)),
        ("month", date(2026, 12, 1), date(2026, 12, 3)),
        ("last_month", date(2026, 11, 1), date(2026, 11, 30)),
        ("30d", date(2026, 11, 4), date(2026, 12, 3)),
        ("year", date(2026, 1, 1), date(2026, 12, 3)),
    ],
)
def test_presets(period: str, start: date, end: date) -> None:
    assert period_days(period, TODAY) == (start, end)


def test_the_previous_period() -> None:
    # A month so far: the same days of the month before; a whole month: the month before.
    assert previous_days(date(2026, 12, 1), date(2026, 12, 3)) == (date(2026, 11, 1), date(2026, 11, 3))
    assert previous_days(date(2026, 11, 1), date(2026, 11, 30)) == (date(2026, 10, 1), date(2026, 10, 30))
    assert previous_days(date(2026, 3, 1), date(2026, 3, 31)) == (date(2026, 2, 1), date(2026, 2, 28))
    # Any other span: as many days just before.
    assert previous_days(date(2026, 11, 27), date(2026, 12, 3)) == (date(2026, 11, 20), date(2026, 11, 26))


def test_bad_values_are_reported_and_the_rest_still_apply(world: Any) -> None:
    leader = world.user("east", Role.LEADER)
    west_street = world.west.street.code
    filters = DashboardFilters(
        {"period": "7d", "channel": "carrier-pigeon", "area": west_street, "date_from": "x"},
        leader,
        today=TODAY,
    )
    assert set(filters.errors) == {"channel", "area", "date_from"}
    assert (filters.period.start, filters.period.end) == (date(2026, 11, 27), TODAY)
    assert filters.area is None and filters.channel == ""
    custom = DashboardFilters({"date_from": "2026-12-03", "date_to": "2026-11-01"}, leader, today=TODAY)
    assert "date_from" in custom.errors and custom.period.key == "month"


def test_links_carry_the_filter_and_the_extra_parameters(world: Any) -> None:
    leader = world.user("east", Role.LEADER)
    grid = world.east.grids[0]
    filters = DashboardFilters(
        {"period": "month", "area": world.east.street.code, "channel": "hotline"}, leader, today=TODAY
    )
    link = filters.link(figure="overdue", grid=grid.code)
    for part in (
        "queue=all",
        "figure=overdue",
        f"grid={grid.code}",
        "channel=hotline",
        "date_from=2026-12-01",
    ):
        assert part in link
    assert filters.metrics_args()["street"] == world.east.street
    assert filters.metrics_args()["filters"] == {"channel": "hotline"}
    assert "period=month" in filters.query and "date_from" not in filters.query
    assert filters.street_ids == [world.east.street.pk] and filters.single_street == world.east.street


def test_day_rollups_count_the_cases_received_per_day_and_channel(
    world: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    populate(world, per_street=20)
    rollups.refresh(full=True)
    rows = {(r.street_id, r.day, r.channel): r.received for r in DayRollup.objects.all()}
    assert sum(rows.values()) == Case.objects.count()
    from django.db.models.functions import TruncDate

    for case in Case.objects.annotate(day=TruncDate("received_at"))[:10]:
        assert rows[(case.street_id, case.day, case.channel)] >= 1


def test_a_date_parameter_takes_a_day_within_bounds() -> None:
    param = Param("deadline", "完成时限", Kind.DATE, required=True)
    assert param.clean("2026-12-31", None) == date(2026, 12, 31)
    for bad, code in (("31/12/2026", "invalid"), ("1000-01-01", "out_of_range")):
        with pytest.raises(InvalidInput) as caught:
            param.clean(bad, None)
        assert caught.value.fields == {"deadline": code}
    with pytest.raises(InvalidInput):
        param.clean("", None)


def test_the_migration_fills_day_rollups_like_the_consumer(world: Any, settings: Any, tmp_path: Any) -> None:
    import importlib

    from django.apps import apps

    settings.MEDIA_ROOT = str(tmp_path)
    populate(world, per_street=12)
    rollups.refresh(full=True)
    kept = sorted(DayRollup.objects.values_list("street_id", "day", "channel", "received"))
    DayRollup.objects.all().delete()
    importlib.import_module("civicgrid.insights.migrations.0005_fill_day_rollups").fill(apps, None)
    assert sorted(DayRollup.objects.values_list("street_id", "day", "channel", "received")) == kept
