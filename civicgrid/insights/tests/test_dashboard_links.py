"""Follow every link: each number a dashboard panel shows opens a list holding exactly that
many items — the workbench (its count of cases), the order list, the due list — as the same
reader, on generated cases with the rollups refreshed. And each of those numbers is a plain
<a> on the page, not only a chart's data point."""

from html import escape
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.urls import reverse

from civicgrid.core.capabilities import may
from civicgrid.core.choices import Role
from civicgrid.insights.dashboard.filters import DashboardFilters
from civicgrid.insights.dashboard.panels import visible

from .test_dashboard import NOW, generate


@pytest.fixture
def generated(world, settings, tmp_path):
    with time_machine.travel(NOW, tick=False):
        yield generate(world, settings, tmp_path)


def numbers(data: Any) -> list[tuple[int, str]]:
    """Every (count, url) pair in a panel's data."""
    found: list[tuple[int, str]] = []
    if isinstance(data, dict):
        if isinstance(data.get("count"), int) and data.get("url"):
            found.append((data["count"], data["url"]))
        for value in data.values():
            found += numbers(value)
    elif isinstance(data, list):
        for value in data:
            found += numbers(value)
    return found


def listed(client: Any, url: str) -> int:
    """How many items the list at `url` says it holds."""
    response = client.get(url)
    assert response.status_code == 200, url
    context = response.context
    if "total" in context and urlsplit(url).path == reverse("residents:due"):
        return int(context["total"])
    return int(context["page"].paginator.count)


FILTERS = [
    {},
    {"period": "year"},
    {"period": "last_month"},
    {"period": "30d", "channel": "hotline"},
    {"period": "year", "area": "east-r1"},
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params", FILTERS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "default"
)
def test_every_number_opens_a_list_of_that_many(client, generated, params):
    world, _cases = generated
    leader = world.user("east", Role.LEADER)
    client.force_login(leader)
    if "area" in params:
        params = {**params, "area": world.east.residential[0].code}
    filters = DashboardFilters(params, leader)
    assert not filters.errors
    page = client.get(reverse("insights:dashboard"), params).content.decode()
    checked = 0
    for panel in visible(leader):
        for count, url in numbers(panel.compute(filters)):
            assert listed(client, url) == count, (panel.name, url)
            assert escape(url) in page, (panel.name, url)  # a plain link on the page too
            checked += 1
    assert checked > 20
    assert may(leader, "cases.workbench")


@pytest.mark.django_db
def test_the_links_hold_nonzero_numbers(client, generated):
    """The generated data gives the panels something to show (a test of zeros proves little)."""
    world, _cases = generated
    leader = world.user("east", Role.LEADER)
    filters = DashboardFilters({"period": "year"}, leader)
    by_panel = {p.name: p.compute(filters) for p in visible(leader)}
    assert by_panel["rates"]["total"]["count"] == 30
    assert all(g["denominator"]["count"] for g in by_panel["rates"]["gauges"])
    assert len(by_panel["intake"]["cells"]) > 5
    assert by_panel["categories"]["items"]
    assert by_panel["units"]["rows"] and by_panel["grids"]["rows"]
    assert by_panel["overdue"]["count"] > 0
    assert len(by_panel["feed"]["cases"]) == 15


@pytest.mark.django_db
def test_city_wide_the_ranking_is_of_streets_and_every_number_still_opens_its_list(client, generated):
    world, _cases = generated
    from civicgrid.accounts.models import User

    city = User.objects.create(username="city", role=Role.ADMIN, is_superuser=True, full_name="市级")
    client.force_login(city)
    filters = DashboardFilters({"period": "year"}, city)
    ranking = next(p for p in visible(city) if p.name == "grids").compute(filters)
    assert ranking["by_street"] is True
    assert {r["code"] for r in ranking["rows"]} == {world.east.street.code, world.west.street.code}
    for count, url in numbers(ranking):
        assert listed(client, url) == count, url
    street_leader = DashboardFilters({"period": "year"}, world.user("east", Role.LEADER))
    assert next(p for p in visible(city) if p.name == "grids").compute(street_leader)["by_street"] is False
