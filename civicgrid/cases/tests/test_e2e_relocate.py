"""更正位置 in Debian's Chromium: the desk opens an order to be located, clicks the street's map
in the action's panel (its picker fills 经度/纬度) and the case is placed."""

import pytest

from civicgrid.cases import actions
from civicgrid.cases.choices import PlaceStatus
from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import duty
from civicgrid.core.choices import Role
from civicgrid.testing.browser import BROWSER_MARKS

from .test_e2e_browser import login
from .test_to_locate import unplaced

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True)
def test_the_desk_places_an_order_by_a_click_on_the_map(live_server, world, browser_context):
    duty(world)
    case = actions.create_case(unplaced("hotline"), world.user("east", Role.DISPATCHER), in_own_street=True)
    page = login(browser_context, live_server.url, "east-dispatcher")
    page.goto(live_server.url + case.get_absolute_url())
    assert page.locator('[data-notice="to_locate"]').count() == 1
    page.locator("details.action-relocate summary").click()
    picker = page.locator("form[data-action=relocate] [data-pick-map]")
    page.wait_for_selector("form[data-action=relocate] [data-pick-map] .leaflet-overlay-pane path")
    box = picker.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100  # sized once the panel opened
    # A quarter in from the top left: inside the street's outline, in one of its grids.
    picker.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.3})
    form = page.locator("form[data-action=relocate]")
    assert form.locator("input[name=lon]").input_value() and form.locator("input[name=lat]").input_value()
    form.locator("textarea[name=reason]").fill("电话核实后在地图上点选")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator(".message.success").count() == 1, page.locator(".messages").inner_text()
    placed = Case.objects.get(pk=case.pk)
    assert placed.place_status == PlaceStatus.LOCATED and placed.grid_id is not None
