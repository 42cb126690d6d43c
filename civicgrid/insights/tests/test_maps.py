"""The dashboard map's data (insights.views.maps): the grids' GeoJSON carries the figures of
cases.metrics and links whose lists hold exactly those cases; district readers get streets;
nothing crosses the reader's scope; bad filter values are dropped and named; the number of
queries does not grow with the grids; the points are capped and carry no personal data."""

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import RequestContext, Template
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from shapely.geometry import shape

import civicgrid.urls
from civicgrid.accounts.models import User
from civicgrid.cases import metrics as live
from civicgrid.cases.choices import OPEN_STATUSES
from civicgrid.cases.filters import CaseFilterSet
from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import make_case
from civicgrid.core.choices import Role
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.insights import rollups
from civicgrid.insights.dashboard.filters import DashboardFilters
from civicgrid.insights.views import maps
from civicgrid.testing.browser import CHROMIUM
from civicgrid.testing.factories import PASSWORD, box

from .data import populate

MOMENT = datetime(2027, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# Every generated case (they go back 130 days), read from the rollups.
YEAR = {"period": "year"}
GRIDS = reverse("insights:map_grids")
POINTS = reverse("insights:map_points")


@pytest.fixture
def moment():
    with time_machine.travel(MOMENT, tick=True):
        yield


@pytest.fixture
def generated(world, moment, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    populate(world, per_street=30)
    rollups.refresh()
    return world


def city() -> User:
    return User.objects.create(username="city", role=Role.ADMIN, is_superuser=True, full_name="市级")


def get(user: Any, url: str, params: dict[str, str] | None = None) -> Any:
    client = Client()
    client.force_login(user)
    response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return response.json()


def listed(user: Any, url: str) -> int:
    """The number of cases the workbench link lists (its case-filter parameters)."""
    params = dict(parse_qsl(urlsplit(url).query))
    assert params.pop("queue") == "all"
    return CaseFilterSet(params, Case.objects.restrict(user, "view"), user=user).checked().count()


def open_of(row: dict[str, Any]) -> int:
    return sum(row["by_status"][s] for s in OPEN_STATUSES)


def assert_counts(
    user: Any, features: list[dict[str, Any]], rows: list[dict[str, Any]], levels: maps.Thresholds
) -> None:
    by_code = {row["code"]: row for row in rows}
    for feature in features:
        p = feature["properties"]
        row = by_code.get(p["code"])
        expected = (open_of(row), row["overdue"], row["total"]) if row else (0, 0, 0)
        assert (p["open"], p["overdue"], p["total"]) == expected, p["code"]
        assert listed(user, p["url"]) == p["open"], p["url"]
        assert listed(user, p["overdue_url"]) == p["overdue"], p["overdue_url"]
        assert p["level"] == levels.level(p["open"], p["overdue"])


def test_one_street_draws_its_grids_with_the_figures_of_cases_metrics(generated):
    world = generated
    desk = world.user("east", Role.DISPATCHER)
    for params in (YEAR, {}, {"period": "30d", "channel": "hotline"}, {**YEAR, "category": "E21"}):
        data = get(desk, GRIDS, params)
        assert data["type"] == "FeatureCollection" and data["errors"] == {}
        assert data["legend"]["unit"] == "grid" and [lv["level"] for lv in data["legend"]["levels"]] == [
            0,
            1,
            2,
            3,
            4,
        ]
        assert [f["properties"]["code"] for f in data["features"]] == [g.code for g in world.east.grids]
        for feature, grid in zip(data["features"], world.east.grids, strict=True):
            assert feature["type"] == "Feature" and feature["geometry"] == grid.geometry
            assert set(feature["properties"]) == {
                "code",
                "name",
                "open",
                "overdue",
                "total",
                "level",
                "url",
                "overdue_url",
            }
        filters = DashboardFilters(params, desk)
        args = filters.metrics_args()
        rows = live.compute(desk, group_by="grid", **args)
        assert_counts(desk, data["features"], rows, maps.GRID_LEVELS)
    data = get(desk, GRIDS, YEAR)
    assert (
        sum(f["properties"]["total"] for f in data["features"])
        == Case.objects.filter(street=world.east.street).count()
    )
    assert any(f["properties"]["overdue"] for f in data["features"])
    assert any(f["properties"]["level"] > 0 for f in data["features"])


def test_an_area_inside_the_street_draws_its_own_grids(generated):
    world = generated
    desk = world.user("east", Role.DISPATCHER)
    residential = world.east.residential[1]
    data = get(desk, GRIDS, {**YEAR, "area": residential.code})
    codes = [f["properties"]["code"] for f in data["features"]]
    assert codes == [g.code for g in world.east.grids if g.parent_id == residential.pk] and len(codes) == 2
    rows = live.compute(
        desk, group_by="grid", **DashboardFilters({**YEAR, "area": residential.code}, desk).metrics_args()
    )
    assert_counts(desk, data["features"], rows, maps.GRID_LEVELS)


def test_several_streets_draw_one_polygon_per_street(generated):
    world = generated
    reader = city()
    # A street without an outline of its own is drawn as the union of its grids.
    Area.objects.filter(pk=world.west.street.pk).update(geometry=None)
    for params in (YEAR, {**YEAR, "area": world.district.code}):
        data = get(reader, GRIDS, params)
        assert data["legend"]["unit"] == "street"
        features = {f["properties"]["code"]: f for f in data["features"]}
        assert set(features) == {world.east.street.code, world.west.street.code}
        assert features[world.east.street.code]["geometry"] == world.east.street.geometry
        drawn = shape(features[world.west.street.code]["geometry"])
        # The grids' shared edges, computed in floating point, may leave slivers: compare areas.
        assert drawn.symmetric_difference(shape(box(121.01, 31.20, 121.03, 31.22))).area < 1e-12
        rows = live.compute(reader, group_by="street", **DashboardFilters(params, reader).metrics_args())
        assert_counts(reader, list(features.values()), rows, maps.STREET_LEVELS)
        assert sum(f["properties"]["total"] for f in features.values()) == Case.objects.count()


def test_nothing_of_another_street(generated):
    world = generated
    desk = world.user("east", Role.DISPATCHER)
    east_grids = {g.code for g in world.east.grids}
    west_numbers = set(Case.objects.filter(street=world.west.street).values_list("number", flat=True))
    # The west street named as the area is dropped (not theirs): the east street is shown.
    data = get(desk, GRIDS, {**YEAR, "area": world.west.street.code})
    assert "area" in data["errors"]
    assert {f["properties"]["code"] for f in data["features"]} == east_grids
    points = get(desk, POINTS, {**YEAR, "area": world.west.street.code})
    assert points["cases"] and not {c["number"] for c in points["cases"]} & west_numbers
    # Roles without the dashboard: no map data either.
    for role in (Role.GRID_WORKER, Role.HANDLER, Role.CADRE, Role.RESIDENT):
        client = Client()
        client.force_login(world.user("east", role))
        assert client.get(GRIDS).status_code == 404
        assert client.get(POINTS).status_code == 404
    anonymous = Client().get(GRIDS)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_bad_filter_values_are_dropped_and_named(generated):
    world = generated
    desk = world.user("east", Role.DISPATCHER)
    bad = {"period": "fortnight", "category": "NOPE", "lead_unit": "x", "area": "999", "channel": "pigeon"}
    data = get(desk, GRIDS, bad)
    assert set(data["errors"]) == set(bad)
    assert data["features"] == get(desk, GRIDS)["features"]  # the default period, no other filter
    points = get(desk, POINTS, {**bad, "date_from": "2027-13-01"})
    assert set(points["errors"]) == {*bad, "date_from"}
    assert points["points"]
    # A period whose start is after its end: the default period, named.
    data = get(desk, GRIDS, {"period": "custom", "date_from": "2027-06-10", "date_to": "2027-06-01"})
    assert "date_from" in data["errors"]


def _queries(user: Any, url: str, params: dict[str, str]) -> int:
    client = Client()
    client.force_login(user)
    client.get(url, params)  # the session, the user, caches: warm
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_the_grids(world, moment):
    desk = world.user("east", Role.DISPATCHER)
    reader = city()
    for grid in world.east.grids:
        make_case(world, grid=world.east.grids.index(grid))
    before = {
        "grids": _queries(desk, GRIDS, YEAR),
        "streets": _queries(reader, GRIDS, YEAR),
        "bare": 0,
        "points": _queries(desk, POINTS, YEAR),
    }
    Area.objects.filter(pk=world.west.street.pk).update(geometry=None)
    before["bare"] = _queries(reader, GRIDS, YEAR)
    residential = world.east.residential[0]
    for i in range(6):  # more grids, north of the street, each with a case
        x = 121.05 + i * 0.002
        grid = Area.objects.create(
            kind=AreaKind.GRID,
            code=f"{residential.code}{i + 10:02d}",
            name=f"新网格{i}",
            parent=residential,
            geometry=box(x, 31.23, x + 0.002, 31.232),
        )
        Case.objects.filter(pk=make_case(world).pk).update(grid=grid, lon=x + 0.001, lat=31.231)
        west = world.west.grids[0].parent
        Area.objects.create(
            kind=AreaKind.GRID,
            code=f"{west.code}{i + 10:02d}",
            name=f"西新网格{i}",
            parent=west,
            geometry=box(121.01 + i * 0.002, 31.23, 121.012 + i * 0.002, 31.232),
        )
    assert _queries(desk, GRIDS, YEAR) == before["grids"]
    assert len(get(desk, GRIDS, YEAR)["features"]) == 10
    Area.objects.filter(pk=world.west.street.pk).update(geometry=world.west.street.geometry)
    assert _queries(reader, GRIDS, YEAR) == before["streets"]
    Area.objects.filter(pk=world.west.street.pk).update(geometry=None)
    assert _queries(reader, GRIDS, YEAR) == before["bare"]
    assert _queries(desk, POINTS, YEAR) == before["points"]


def test_points_newest_first_weighted_capped_and_impersonal(generated, monkeypatch):
    world = generated
    desk = world.user("east", Role.DISPATCHER)
    expected = DashboardFilters(YEAR, desk).cases().filter(lon__isnull=False).order_by("-received_at", "-pk")
    numbers = list(expected.values_list("number", flat=True))
    data = get(desk, POINTS, YEAR)
    assert [c["number"] for c in data["cases"]] == numbers and not data["truncated"]
    assert len(data["points"]) == len(numbers)
    overdue = set(DashboardFilters(YEAR, desk).cases(figure="overdue").values_list("number", flat=True))
    open_ = set(DashboardFilters(YEAR, desk).cases(figure="open").values_list("number", flat=True))
    assert overdue and open_ - overdue
    for case, (lat, lon, weight) in zip(data["cases"], data["points"], strict=True):
        assert set(case) == {"number", "lat", "lon", "status", "overdue"}
        assert (case["lat"], case["lon"]) == (lat, lon)
        assert case["overdue"] == (case["number"] in overdue)
        if case["overdue"]:
            assert weight == maps.WEIGHT_OVERDUE
        elif case["number"] in open_:
            assert weight == maps.WEIGHT_OPEN
        else:
            assert weight == maps.WEIGHT_OTHER
        assert case["status"] in data["statuses"]
    # Nothing of the reporters, nor the description.
    body = json.dumps(data, ensure_ascii=False)
    for secret in ("王先生", "13812345678", "噪声"):
        assert secret not in body

    monkeypatch.setattr(maps, "MAX_POINTS", 5)
    data = get(desk, POINTS, YEAR)
    assert data["truncated"] and [c["number"] for c in data["cases"]] == numbers[:5]
    assert len(data["points"]) == 5
    # A case without coordinates is not a point.
    Case.objects.filter(number=numbers[0]).update(lon=None, lat=None)
    assert [c["number"] for c in get(desk, POINTS, YEAR)["cases"]] == numbers[1:6]


def test_the_map_include_carries_the_dashboards_query(world, moment):
    desk = world.user("east", Role.DISPATCHER)
    filters = DashboardFilters({"period": "7d", "channel": "hotline"}, desk)
    html = render_to_string("insights/_map.html", {"filters": filters})
    assert 'id="dashboard-map"' in html
    assert f'data-grids-url="{GRIDS}?{filters.query}"'.replace("&", "&amp;") in html
    assert f'data-points-url="{POINTS}?{filters.query}"'.replace("&", "&amp;") in html
    for asset in ("leaflet/leaflet.js", "leaflet-heat.js", "leaflet.markercluster.js", "dashboard-map.js"):
        assert asset in html


# ---------------------------------------------------------------------------- in Chromium

# A page holding only the include (the dashboard page is another part's): in the normal theme
# or inside `.wall`.
PAGE = Template(
    '{% extends "base.html" %}{% block content %}<div class="{{ theme }}">'
    '{% include "insights/_map.html" %}</div>{% endblock %}'
)


def map_page(request: HttpRequest) -> HttpResponse:
    context = {"filters": DashboardFilters(request.GET, request.user), "theme": request.GET.get("theme", "")}
    return HttpResponse(PAGE.render(RequestContext(request, context)))


urlpatterns = [path("map-test/", map_page), *civicgrid.urls.urlpatterns]

DRAWN = """() => {
  const m = document.getElementById("dashboard-map").dashboardMap;
  return m && m.grids.getLayers().length === 4 && m.cluster.getLayers().length === %d;
}"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)")
@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_the_map_draws_on_a_phone_and_on_the_wall(live_server, world, browser_context):
    for grid in range(4):
        make_case(world, grid=grid)
    make_case(world, street="west")
    rollups.refresh()  # what the beat does every minute
    browser_context.clear_cookies()
    page = browser_context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", world.user("east", Role.DISPATCHER).username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(lambda url: "login" not in url)

    page.goto(live_server.url + "/map-test/")
    page.wait_for_function(DRAWN % 4)
    drawn = page.evaluate(
        """() => {
          const m = document.getElementById("dashboard-map").dashboardMap;
          const grids = m.grids.getLayers().map(g => [g.feature.properties.level, g.options.fillColor]);
          return [m.heat._latlngs.length, grids];
        }"""
    )
    assert drawn == [4, [[1, "#bfdbfe"]] * 4]  # one open case each
    assert page.locator("[data-map-legend] [data-level]:not([hidden])").count() == 5
    assert "在办" in page.locator("[data-map-legend]").inner_text()
    control = page.locator(".leaflet-control-layers").text_content() or ""  # collapsed: hidden text
    assert all(name in control for name in ("网格", "热力", "工单点")), control
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # htmx swapped the map in again (a new filter): the new element is drawn too.
    page.evaluate(
        """() => {
          const old = document.getElementById("dashboard-map");
          const fresh = old.cloneNode(false);
          fresh.removeAttribute("data-map-ready");
          fresh.className = "map dashboard-map";
          old.replaceWith(fresh);
          document.body.dispatchEvent(new CustomEvent("htmx:afterSwap", { bubbles: true }));
        }"""
    )
    page.wait_for_function(DRAWN % 4)
    # A click on a grid (away from its case, at its centre) opens the workbench on its open cases.
    point = page.evaluate(
        """() => {
          const m = document.getElementById("dashboard-map").dashboardMap;
          const grid = m.grids.getLayers()[0], b = grid.getBounds();
          const at = m.map.latLngToContainerPoint([b.getSouth() + 0.0015, b.getWest() + 0.0015]);
          const box = m.el.getBoundingClientRect();
          return { x: box.left + at.x, y: box.top + at.y, code: grid.feature.properties.code };
        }"""
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(lambda url: "/cases/" in url)
    assert f"grid={point['code']}" in page.url and "figure=open" in page.url
    assert errors == []

    # The wall: dark, and fetching its data again every minute.
    wall = browser_context.new_page()
    wall.clock.install()
    fetched: list[str] = []
    wall.on("request", lambda request: fetched.append(request.url) if "grids.json" in request.url else None)
    wall.goto(live_server.url + "/map-test/?theme=wall")
    wall.wait_for_function(DRAWN % 4)
    assert wall.evaluate("document.getElementById('dashboard-map').dashboardMap.wall")
    assert len(fetched) == 1
    wall.clock.run_for(61_000)
    wall.wait_for_timeout(500)
    assert len(fetched) == 2
