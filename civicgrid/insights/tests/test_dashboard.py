"""The operations dashboard: who sees it, its filter, wall mode, the panel fragments, the API,
and a constant number of queries whatever the number of cases."""

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from civicgrid.accounts.tokens import issue
from civicgrid.core.choices import Role
from civicgrid.insights import rollups
from civicgrid.insights.dashboard.panels import PANELS, score

from .data import populate

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=SH)


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def generate(world, settings, tmp_path):
    """30 generated cases a street (received up to 130 days before NOW), rollups refreshed."""
    settings.MEDIA_ROOT = tmp_path
    cases = populate(world, per_street=30, now=NOW)
    rollups.refresh(full=True)
    return world, cases


@pytest.fixture
def generated(world, settings, tmp_path, travel):
    return generate(world, settings, tmp_path)


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.LEADER, 200),
        (Role.DISPATCHER, 200),
        (Role.ADMIN, 200),
        (Role.HANDLER, 404),
        (Role.GRID_WORKER, 404),
        (Role.RESIDENT, 404),
    ],
)
def test_the_dashboard_is_for_street_wide_roles(client, world, travel, role, status):
    user = world.user("east", role)
    for name in ("insights:dashboard", "insights:wall"):
        assert get(client, user, reverse(name)).status_code == status
    assert get(client, user, reverse("insights:panel", args=["rates"])).status_code == status


@pytest.mark.django_db
def test_every_panel_is_on_the_page(client, generated):
    world, _cases = generated
    page = get(client, world.user("east", Role.LEADER), reverse("insights:dashboard"))
    html = page.content.decode()
    for name in PANELS:
        assert f'data-panel="{name}"' in html, name
    assert 'data-chart="chart-rates"' in html and 'id="chart-intake"' in html
    assert "echarts.min.js" in html and "insights/dashboard.js" in html
    assert 'id="dashboard-map"' in html
    assert "数据更新于" in html


@pytest.mark.django_db
def test_a_bad_filter_is_shown_and_the_others_still_apply(client, generated):
    world, _cases = generated
    leader = world.user("east", Role.LEADER)
    page = get(client, leader, reverse("insights:dashboard"), period="7d", channel="pigeon", area="nowhere")
    filters = page.context["filters"]
    assert set(filters.errors) == {"channel", "area"}
    assert filters.period.key == "7d"
    html = page.content.decode()
    assert "data-filter-errors" in html and "nowhere" in html
    # The good parameter still applies: the period is the last seven days.
    assert (filters.period.end - filters.period.start).days == 6

    reversed_days = get(
        client, leader, reverse("insights:dashboard"), date_from="2026-05-10", date_to="2026-05-01"
    )
    assert "date_from" in reversed_days.context["filters"].errors
    assert reversed_days.context["filters"].period.key == "month"

    custom = get(
        client,
        leader,
        reverse("insights:dashboard"),
        period="custom",
        date_from="2026-05-01",
        date_to="2026-05-03",
        channel="hotline",
    )
    assert not custom.context["filters"].errors
    assert "channel=hotline" in custom.context["filters"].query


@pytest.mark.django_db
def test_wall_mode_polls_each_panel_on_a_dark_screen(client, generated):
    world, _cases = generated
    page = get(client, world.user("east", Role.LEADER), reverse("insights:wall"), period="7d")
    html = page.content.decode()
    assert '<body class="wall"' in html
    assert 'class="topbar"' not in html  # no navigation
    on_wall = [p for p in PANELS.values() if p.on_wall]
    assert html.count('hx-trigger="every 60s"') == len(on_wall) - 1  # all but the map
    assert reverse("insights:panel", args=["rates"]) + "?period=7d&amp;wall=1" in html
    assert "htmx.min.js" in html and "数据更新于" in html


@pytest.mark.django_db
def test_a_panel_fragment_and_an_unknown_panel(client, generated, monkeypatch):
    world, _cases = generated
    leader = world.user("east", Role.LEADER)
    fragment = get(client, leader, reverse("insights:panel", args=["categories"]), period="month", wall="1")
    html = fragment.content.decode()
    assert fragment.status_code == 200 and 'id="chart-categories"' in html
    assert 'hx-swap-oob="true"' in html and "<html" not in html
    assert get(client, leader, reverse("insights:panel", args=["nosuch"])).status_code == 404
    assert get(client, leader, reverse("insights:panel", args=["care"])).status_code == 200
    # A panel needing a capability the reader lacks (a dispatcher keeps no registry) does not
    # exist for them.
    monkeypatch.setitem(PANELS, "care", dataclasses.replace(PANELS["care"], capability="residents.edit"))
    dispatcher = world.user("east", Role.DISPATCHER)
    assert get(client, dispatcher, reverse("insights:panel", args=["care"])).status_code == 404
    assert 'data-panel="care"' not in get(client, dispatcher, reverse("insights:dashboard")).content.decode()


def test_the_ranking_score():
    row = {"on_time_closure_rate": 0.5, "satisfaction_rate": 1.0, "overdue": 1, "counted": 4}
    assert score(row) == 40 * 0.5 + 40 * 1.0 + 20 * 0.75
    # A rate without a denominator leaves its term out; the others are scaled up to 100.
    assert score({**row, "satisfaction_rate": None}) == round(100 * (40 * 0.5 + 20 * 0.75) / 60, 1)
    assert (
        score({"on_time_closure_rate": None, "satisfaction_rate": None, "overdue": 0, "counted": 0}) is None
    )


@pytest.mark.django_db
def test_the_api_gives_every_panel_in_the_callers_scope(client, generated):
    world, _cases = generated
    east = world.user("east", Role.LEADER)
    token = issue(east, "dashboard")
    answer = client.get(
        "/api/v1/insights/dashboard", {"period": "year"}, HTTP_AUTHORIZATION=f"Bearer {token.key}"
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["period"]["key"] == "year"
    assert set(body["panels"]) == {p.name for p in PANELS.values() if p.name != "map"} - _not_held(east)
    rates = body["panels"]["rates"]
    assert {g["key"] for g in rates["gauges"]} == {
        "response",
        "resolution",
        "satisfaction",
        "on_time_closure",
    }
    assert rates["total"]["count"] == 30
    # East's figures only: no west grid, no west case.
    west_grids = {g.name for g in world.west.grids}
    assert not west_grids & {r["name"] for r in body["panels"]["grids"]["rows"]}
    west_numbers = {c.number for c in _cases if c.street_id == world.west.street.pk}
    assert not west_numbers & {c["number"] for c in body["panels"]["feed"]["cases"]}

    bad = client.get(
        "/api/v1/insights/dashboard", {"channel": "pigeon"}, HTTP_AUTHORIZATION=f"Bearer {token.key}"
    )
    assert bad.status_code == 400 and "channel" in bad.content.decode()
    handler_token = issue(world.user("east", Role.HANDLER), "h")
    refused = client.get("/api/v1/insights/dashboard", HTTP_AUTHORIZATION=f"Bearer {handler_token.key}")
    assert refused.status_code == 404


def _not_held(user):
    from civicgrid.core.capabilities import may

    return {p.name for p in PANELS.values() if p.capability and not may(user, p.capability)}


def _more_cases(world, n=12):
    """Cases in other grids, categories and channels, received this month and last."""
    from datetime import timedelta

    from civicgrid.cases.models import Category
    from civicgrid.cases.tests.factories import make_case

    codes = list(
        Category.objects.filter(children__isnull=True, is_active=True).values_list("code", flat=True)[:6]
    )
    channels = ["hotline", "web", "walk_in", "phone"]
    for i in range(n):
        make_case(
            world,
            grid=i % 4,
            category=codes[i % len(codes)],
            channel=channels[i % len(channels)],
            received_at=NOW - timedelta(days=i * 3, hours=1),
        )
    rollups.refresh()


def _queries(client, url, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)  # warm the per-process caches (profiles, holidays, categories)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


# Queries per request with the default filter (this month), whatever the number of cases:
# the session and user, the filter's choices, then each panel's fixed set of reads.
PAGE_QUERIES = 52
PANEL_QUERIES = {
    "rates": 10,
    "intake": 6,
    "map": 5,
    "categories": 9,
    "units": 9,
    "grids": 9,
    "overdue": 7,
    "feed": 6,
    "inspections": 9,
    "care": 7,
    "programmes_projects": 7,
    "programmes_welfare": 7,
    "programmes_proposals": 6,
    "community_activities": 6,
    "community_volunteers": 8,
    "community_service": 10,
}


@pytest.mark.django_db
def test_a_constant_number_of_queries(client, generated):
    world, _cases = generated
    client.force_login(world.user("east", Role.LEADER))
    urls = {"page": reverse("insights:dashboard")}
    urls.update({name: reverse("insights:panel", args=[name]) for name in PANELS})
    before = {name: _queries(client, url, {}) for name, url in urls.items()}
    _more_cases(world)
    after = {name: _queries(client, url, {}) for name, url in urls.items()}
    assert after == before
    assert before["page"] == PAGE_QUERIES
    assert {k: v for k, v in before.items() if k != "page"} == PANEL_QUERIES
