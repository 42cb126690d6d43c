"""The phone pages in Chromium at 390×844 and 360×740: nothing overflows sideways, the top bar
is one short line whose menu button names the current section, the patrol page posts the
phone's position, and an on-site verification carries its GPS check-in."""

import pytest
from django.urls import reverse

from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case, Patrol
from civicgrid.cases.tests.factories import advance, duty, make_case
from civicgrid.cases.tests.test_e2e_browser import jpeg, login, shot
from civicgrid.core.choices import Role
from civicgrid.testing.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS
VIEWPORTS = [(390, 844), (360, 740)]
MAX_HEADER_PX = 64


def fits(page, url: str) -> None:
    page.goto(url)
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
    )
    assert scroll <= width, f"{url}: {scroll}px wide in a {width}px screen: {wide}"
    header = page.evaluate("document.querySelector('header.topbar').getBoundingClientRect().height")
    assert header <= MAX_HEADER_PX, f"{url}: header {header}px"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width,height", VIEWPORTS)
def test_phone_pages_fit_the_screen(live_server, world, browser_context, settings, tmp_path, width, height):
    settings.MEDIA_ROOT = tmp_path
    duty(world, "east")
    base = live_server.url
    handled = advance(world, make_case(world, grid=0), CaseStatus.HANDLED)
    open_case = make_case(world, grid=0, description="人行道上堆放的建筑垃圾长期无人清运，影响通行")
    centre = world.east.grids[0].shape.centroid
    browser_context.grant_permissions(["geolocation"])
    browser_context.set_geolocation({"longitude": centre.x + 0.001, "latitude": centre.y, "accuracy": 10})

    # The public pages, without an account.
    page = browser_context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    fits(page, base + reverse("report:form"))
    fits(page, base + reverse("report:follow") + f"?number={open_case.number}")
    page.fill("input[name=digits]", "5678")
    with page.expect_navigation():
        page.click("form.follow-form button[type=submit]")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # The grid worker signs in and lands on the patrol page.
    page = login(browser_context, base, "east-gridworker")
    page.set_viewport_size({"width": width, "height": height})
    assert page.url == base + reverse("cases:mobile")
    for name in (
        "cases:mobile",
        "cases:mobile_cases",
        "cases:mobile_verify",
        "cases:mobile_report",
        "cases:patrols",
    ):
        fits(page, base + reverse(name))
    fits(page, base + reverse("core:inbox"))
    fits(page, base + open_case.get_absolute_url())

    # The menu: closed, the button names the section; open, the links show, the active one marked.
    page.goto(base + reverse("cases:mobile_cases"))
    assert not page.locator("nav.mainnav").is_visible()
    assert page.locator(".nav-button .nav-current").inner_text() == "巡查"
    page.click(".nav-button")
    assert page.locator("nav.mainnav a.active").is_visible()
    shot(page, f"phone-{width}-menu")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # A patrol: started on the patrol page, the phone's position is posted while it is open.
    page.goto(base + reverse("cases:mobile"))
    with page.expect_navigation():
        page.click("text=开始巡查")
    page.wait_for_function("document.querySelector('[data-patrol-status]').textContent.includes('公里')")
    patrol = Patrol.objects.get(worker__username="east-gridworker")
    assert len(patrol.track) >= 1
    shot(page, f"phone-{width}-patrol")
    fits(page, base + reverse("cases:mobile"))
    with page.expect_navigation():
        page.click("text=结束巡查")
    fits(page, page.url)  # the patrol's own page, with its track

    # Verification on site: the check-in goes with it and the case page shows the distance.
    page.goto(base + reverse("cases:mobile_verify"))
    card = page.locator(f"article[data-case='{handled.number}']")
    page.wait_for_function("document.querySelector('input[name=checkin_lon]').value !== ''")
    page.set_input_files(
        f"article[data-case='{handled.number}'] form[data-checkin] input[name=photos]",
        files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}],
    )
    with page.expect_navigation():
        card.locator("button:has-text('核查通过')").click()
    assert Case.objects.get(pk=handled.pk).status == CaseStatus.VERIFIED
    checkin = handled.events.get(action="verify_pass").data["checkin"]
    assert 50 < checkin["distance_m"] < 150
    fits(page, base + handled.get_absolute_url())
    assert "核查签到：距工单位置" in page.locator(".timeline").inner_text()
    shot(page, f"phone-{width}-case")

    # The desk's pages at the same size: the patrol log and the workbench.
    page = login(browser_context, base, "east-dispatcher")
    page.set_viewport_size({"width": width, "height": height})
    for url in (reverse("cases:patrols"), reverse("cases:workbench"), reverse("home")):
        fits(page, base + url)
    assert world.user("east", Role.GRID_WORKER).patrols.count() == 1
