"""The plan pages in Chromium on a phone (390×844) and a desktop: nothing overflows sideways,
the before/after chart draws, and a bar opens that week's cases on the workbench."""

import pytest
import time_machine
from django.urls import reverse

from civicgrid.cases.tests.test_e2e_browser import login, shot
from civicgrid.cases.tests.test_phone_browser import fits
from civicgrid.core.choices import Role
from civicgrid.testing.browser import BROWSER_MARKS

from .plan_fixtures import NOW, make_cases, plan_for

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True)
def test_plan_pages_fit_a_phone_and_the_chart_links_its_weeks(
    live_server, world, browser_context, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        make_cases(world)
        plan = plan_for(world)
    base = live_server.url
    page = login(browser_context, base, world.east.users[Role.DISPATCHER].username)
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (reverse("insights:plans"), reverse("insights:plan_new"), plan.get_absolute_url()):
        fits(page, base + url)
    page.wait_for_selector("#plan-chart canvas")
    shot(page, "plan-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + plan.get_absolute_url())
    page.wait_for_selector("#plan-chart canvas")
    shot(page, "plan-desktop")
    first = page.evaluate("JSON.parse(document.getElementById('plan-chart-data').textContent).weeks[0].link")
    assert first.startswith("/cases/?queue=all")
