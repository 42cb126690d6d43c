"""The dashboard in Debian's Chromium: a leader logs in, every chart draws, the map slot is
there (with its layers once the maps part draws them), a filter changes the numbers, a bar's
link lands on the workbench listing that many cases; screenshots of the page, wall mode
(1920×1080) and a phone (390 px, no horizontal scrolling) go to var/test-artifacts/."""

import re
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from civicgrid.insights import rollups
from civicgrid.testing.browser import BROWSER_MARKS
from civicgrid.testing.factories import PASSWORD

from .data import populate
from .test_dashboard import NOW

ARTIFACTS = Path(__file__).resolve().parents[3] / "var" / "test-artifacts"
pytestmark = BROWSER_MARKS

# Whether a chart's canvas (or a canvas itself) holds any drawn pixel.
DRAWN = """els => els.map(el => {
  const c = el.tagName === 'CANVAS' ? el : el.querySelector('canvas');
  if (!c || !c.width || !c.height) return false;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
  return false;
})"""


# The middle of the categories chart's top bar, its value and link, from ECharts' own layout.
BAR = """() => {
  const chart = echarts.getInstanceByDom(document.querySelector('[data-chart=chart-categories]'));
  const data = chart.getModel().getSeries()[0].getData();
  const last = data.count() - 1;  // the top bar: the most cases
  const box = data.getItemLayout(last);
  const item = chart.getOption().series[0].data[last];
  return {x: box.x + box.width / 2, y: box.y + box.height / 2, value: item.value};
}"""


def count_in(text: str) -> int:
    return int(re.search(r"\d+", text).group())  # type: ignore[union-attr]


def charts_drawn(page) -> list[bool]:
    page.wait_for_selector("[data-chart] canvas", timeout=45_000)
    page.wait_for_timeout(800)  # the first animation frame
    return page.locator("[data-chart]").evaluate_all(DRAWN)


@pytest.mark.django_db(transaction=True)
def test_a_leader_reads_the_dashboard_in_a_browser(live_server, world, browser_context, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(NOW, tick=True):
        populate(world, per_street=30, now=NOW)
        rollups.refresh(full=True)
        page = browser_context.new_page()
        page.goto(live_server.url + reverse("accounts:login"))
        page.fill("input[name=username]", "east-leader")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_load_state()

        page.goto(live_server.url + reverse("insights:dashboard") + "?period=year")
        drawn = charts_drawn(page)
        assert len(drawn) >= 3 and all(drawn), drawn  # rates, intake, categories
        # The map (drawn on a canvas): the grid layer holds every grid, the case layer its points,
        # and the canvas is painted.
        grids = len(world.east.grids)
        page.wait_for_function(
            """n => { const m = (document.getElementById('dashboard-map') || {}).dashboardMap;
                return m && m.grids.getLayers().length >= n && m.cluster.getLayers().length > 0; }""",
            arg=grids,
            timeout=45_000,
        )
        page.locator("#dashboard-map").scroll_into_view_if_needed()
        page.wait_for_timeout(1000)  # the renderer paints on the next animation frames
        assert any(page.locator("#dashboard-map .leaflet-overlay-pane canvas").evaluate_all(DRAWN))
        page.screenshot(path=str(ARTIFACTS / "dashboard-desktop.png"), full_page=True)
        year_total = count_in(page.locator("[data-figure=total]").inner_text())

        # A shorter period: the numbers change.
        page.select_option("select[name=period]", "7d")
        page.click(".dash-filters button[type=submit]")
        page.wait_for_url(re.compile(r"period=7d"))
        week_total = count_in(page.locator("[data-figure=total]").inner_text())
        assert week_total != year_total and week_total > 0

        # A category bar's link lands on the workbench listing that many cases.
        page.goto(live_server.url + reverse("insights:dashboard") + "?period=year")
        bar = page.locator(".dash-categories a[data-category]").first
        expected = count_in(bar.inner_text())
        bar.click()
        page.wait_for_url(re.compile(r"/cases/\?"))
        assert count_in(page.locator("text=/共 \\d+ 件/").first.inner_text()) == expected

        # And a click on the chart's bar itself (the canvas) lands there too.
        page.goto(live_server.url + reverse("insights:dashboard") + "?period=year")
        chart = page.locator("[data-chart=chart-categories]")
        chart.scroll_into_view_if_needed()
        charts_drawn(page)
        page.wait_for_timeout(1200)  # the bars' entrance animation
        bar_at = page.evaluate(BAR)
        origin = chart.bounding_box()
        assert origin is not None
        page.mouse.click(origin["x"] + bar_at["x"], origin["y"] + bar_at["y"])
        page.wait_for_url(re.compile(r"/cases/\?.*category="))
        assert count_in(page.locator("text=/共 \\d+ 件/").first.inner_text()) == bar_at["value"]

        # Wall mode: 1920×1080, dark, every chart drawn, each panel polling.
        wall = browser_context.new_page()
        wall.set_viewport_size({"width": 1920, "height": 1080})
        wall.goto(live_server.url + reverse("insights:wall") + "?period=year")
        assert all(charts_drawn(wall))
        assert wall.locator("body.wall").count() == 1
        assert wall.locator("[hx-trigger='every 60s']").count() >= 8
        # The map fills its cell of the wall's grid, and draws there.
        box = wall.locator("#dashboard-map").bounding_box()
        assert box is not None and box["height"] > 300 and box["width"] > 500, box
        wall.wait_for_function(
            "() => { const m = document.getElementById('dashboard-map').dashboardMap;"
            " return m && m.grids.getLayers().length > 0; }",
            timeout=45_000,
        )
        # A panel swapped by htmx draws its chart again.
        wall.evaluate(
            "htmx.ajax('GET', document.querySelector('#panel-categories .dash-body').getAttribute('hx-get'),"
            " {target: '#panel-categories .dash-body', swap: 'innerHTML'})"
        )
        wall.wait_for_timeout(1500)
        assert all(wall.locator("#panel-categories [data-chart]").evaluate_all(DRAWN))
        wall.screenshot(path=str(ARTIFACTS / "dashboard-wall.png"))

        # A phone: panels stack, nothing wider than the screen.
        phone = browser_context.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto(live_server.url + reverse("insights:dashboard") + "?period=year")
        assert all(charts_drawn(phone))
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
