"""End to end in Debian's Chromium: log in and see the Leaflet map draw our GeoJSON, offline."""

from pathlib import Path

import pytest
from django.urls import reverse

from civicgrid.testing.browser import BROWSER_MARKS
from civicgrid.testing.factories import PASSWORD

SCREENSHOT = Path("/tmp/civicgrid-area-map.png")
pytestmark = BROWSER_MARKS


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


@pytest.mark.django_db(transaction=True)
def test_dispatcher_logs_in_and_sees_the_street_map(live_server, world, page):
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)

    page.goto(live_server.url + reverse("home"))
    assert reverse("accounts:login") in page.url  # anonymous → login
    page.fill("input[name=username]", "east-dispatcher")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(live_server.url + reverse("home"))
    assert world.east.street.name in page.content()

    page.goto(live_server.url + world.east.street.get_absolute_url())
    page.wait_for_selector(".leaflet-overlay-pane path", timeout=10_000)
    # The street itself plus its two residential areas.
    assert page.locator(".leaflet-overlay-pane path").count() >= 3
    assert page.locator("h1").first.inner_text().startswith(world.east.street.name)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert not [url for url in outside if not url.startswith("data:")], outside  # works offline

    # A residential area on the map links to its page.
    page.goto(live_server.url + world.east.residential[0].get_absolute_url())
    page.wait_for_selector(".leaflet-overlay-pane path", timeout=10_000)
    assert page.locator(".leaflet-overlay-pane path").count() >= 3  # itself and two grids
