"""End to end in Debian's Chromium: log in and see the Leaflet map draw our GeoJSON, offline."""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from civicgrid.testing.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django must still allow ORM calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path("/tmp/civicgrid-area-map.png")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
    ),
]


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            yield context.new_page()
        finally:
            browser.close()


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
