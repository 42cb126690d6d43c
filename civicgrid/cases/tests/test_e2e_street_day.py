"""Issue 12's "Done when" in Debian's Chromium: a 12345 sheet with a row nothing can locate →
the row is in 待定位 → the desk places it on the map → dispatch → sign → report back → the grid
worker verifies on a phone with a photo and a GPS check-in → close → the resident rates through
the link the closing text message carries → the public page shows the handler's result and the
rating."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from civicgrid.cases.choices import CaseStatus, PlaceStatus
from civicgrid.cases.models import Callback, Case
from civicgrid.cases.tests.factories import duty
from civicgrid.core import clock, sms
from civicgrid.core.choices import Role
from civicgrid.profiles import actions as profile_actions
from civicgrid.testing.browser import BROWSER_MARKS

from .test_e2e_browser import act, jpeg, login, shot
from .test_import_12345 import write_xlsx

pytestmark = BROWSER_MARKS

CALLER = "13700001357"
# The example address the report form shows: no building of the test world has it.
NOWHERE = "乳山路235弄12号"
HANDLER_RESULT = "已责令餐馆加装油烟净化器并改道排放，现场复查无油烟直排"
INTERNAL_NOTE = "网格员核查通过，结案"


def sheet_rows(world) -> list[list[object]]:
    received = (clock.localtime() - timedelta(hours=3)).replace(tzinfo=None, microsecond=0)
    located = world.east.buildings[0].address
    return [
        ["SH12345-7001", received, "投诉", "E2105", "楼上夜间装修噪声"]
        + [located, "王先生", "13800007001", "", ""],
        ["SH12345-7002", received, "投诉", "E2105", "楼下餐馆油烟直排，晚上尤其严重"]
        + [NOWHERE, "李女士", CALLER, "", ""],
    ]


def click_grid_on_map(page, form: str, grid_name: str) -> None:
    """Click the middle of one grid's outline in the form's map picker."""
    picker = f"form[data-action={form}] [data-pick-map]"
    page.wait_for_selector(f"{picker} .leaflet-overlay-pane path")
    script = page.locator(picker).get_attribute("data-geojson-script")
    features = page.evaluate(f"JSON.parse(document.getElementById('{script}').textContent).features")
    index = [f["properties"].get("name") for f in features].index(grid_name)
    box = page.locator(f"{picker} .leaflet-overlay-pane path").nth(index).bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


@pytest.mark.django_db(transaction=True)
def test_an_order_nobody_could_locate_to_the_residents_own_rating(
    live_server, world, browser_context, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.CIVICGRID_SITE_URL = live_server.url  # the links in text messages lead here
    duty(world, "east")
    base = live_server.url
    sms.sent.clear()
    # This street texts 12345's callers itself (by default the hotline tells its own).
    profile_actions.save_profile(
        world.east.street, world.user("east", Role.ADMIN), {"cases.message_hotline_reporters": True}
    )
    grid = world.east.grids[0]  # east-gridworker's grid

    # 1. The desk uploads the hotline's sheet: both orders exist, one of them to be located.
    page = login(browser_context, base, "east-dispatcher")
    page.goto(base + reverse("cases:import"))
    page.set_input_files("input[name=file]", str(write_xlsx(tmp_path / "12345.xlsx", sheet_rows(world))))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "已完成" in page.content()
    case = Case.objects.get(external_id="SH12345-7002")
    assert case.place_status == PlaceStatus.TO_LOCATE and case.street_id == world.east.street.pk
    assert Case.objects.get(external_id="SH12345-7001").place_status == PlaceStatus.LOCATED

    # 2. It waits in the workbench's 待定位 queue.
    page.goto(base + reverse("cases:workbench") + "?queue=to_locate")
    assert page.locator(".queue.active .queue-count").inner_text() == "1"
    page.click(f"#workbench-results >> text={case.number}")
    assert page.locator('[data-notice="to_locate"]').count() == 1
    shot(page, "street-day-to-locate")

    # 3. 更正位置 by a click on the map, then 立案 and 派遣 to the routed unit.
    page.locator("details.action-relocate summary").click()
    click_grid_on_map(page, "relocate", grid.name)
    reason = page.locator("form[data-action=relocate] textarea[name=reason]")
    reason.fill("电话联系李女士，确认在东路11号楼下")
    with page.expect_navigation():
        page.locator("form[data-action=relocate] button[type=submit]").click()
    assert page.locator(".message.success").count() == 1, page.locator(".messages").inner_text()
    case.refresh_from_db()
    assert case.place_status == PlaceStatus.LOCATED and case.grid_id == grid.pk
    assert "更正位置" in page.locator(".timeline").inner_text()
    act(page, "file")
    act(page, "dispatch")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DISPATCHED

    # 4. The handling unit signs and reports back.
    page = login(browser_context, base, "east-handler")
    page.goto(base + case.get_absolute_url())
    act(page, "sign")
    act(page, "report_back", feedback=HANDLER_RESULT)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.HANDLED

    # 5. The grid worker verifies on site from a phone: a photo and a GPS check-in nearby.
    case.refresh_from_db()
    browser_context.grant_permissions(["geolocation"])
    browser_context.set_geolocation({"longitude": case.lon + 0.0004, "latitude": case.lat, "accuracy": 12})
    page = login(browser_context, base, "east-gridworker")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + reverse("cases:mobile_verify"))
    card = page.locator(f"article[data-case='{case.number}']")
    assert HANDLER_RESULT in card.inner_text()
    page.wait_for_function("document.querySelector('input[name=checkin_lon]').value !== ''")
    page.set_input_files(
        f"article[data-case='{case.number}'] form[data-checkin] input[name=photos]",
        files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}],
    )
    shot(page, "street-day-verify-phone")
    with page.expect_navigation():
        card.locator("button:has-text('核查通过')").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    verified = Case.objects.get(pk=case.pk)
    assert verified.status == CaseStatus.VERIFIED
    checkin = verified.events.get(action="verify_pass").data["checkin"]
    assert 20 < checkin["distance_m"] < 80 and not checkin["far"]
    assert verified.photos.count() == 1

    # 6. The desk closes it: the handler's report is the public result, the note stays inside.
    page = login(browser_context, base, "east-dispatcher")
    page.goto(base + case.get_absolute_url())
    details = page.locator("details.action-close")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    assert page.locator("form[data-action=close] [name=public_result]").input_value() == HANDLER_RESULT
    act(page, "close", note=INTERNAL_NOTE)
    closed = Case.objects.get(pk=case.pk)
    assert closed.status == CaseStatus.CLOSED and closed.public_result == HANDLER_RESULT

    # 7. The closing text message carries the caller's own link; she rates the result there.
    texts = [s.text for s in sms.sent if s.to == CALLER]
    assert texts and HANDLER_RESULT in texts[-1]
    link = re.search(r"https?://\S+/report/t/\S+/", texts[-1])
    assert link, texts[-1]
    browser_context.clear_cookies()
    page = browser_context.new_page()
    page.goto(link.group(0))
    status = page.locator(".public-status").inner_text()
    assert "已办结" in status and HANDLER_RESULT in status and INTERNAL_NOTE not in page.content()
    form = page.locator("section.rating-form form")
    for name, value in (("satisfaction", "satisfied"), ("resolution", "resolved")):
        field = form.locator(f"[name={name}]")
        if field.first.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            form.locator(f"[name={name}][value='{value}']").check()
    form.locator("[name=comment]").fill("油烟没有了，谢谢")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    shot(page, "street-day-rated")

    # 8. The public page shows the handler's result and her rating; it counts in the rates.
    rated = page.locator(".public-status").inner_text()
    assert HANDLER_RESULT in rated and "满意" in rated and "油烟没有了" in rated
    assert page.locator("section.rating-form").count() == 0  # once only
    rating = Callback.objects.get(case=case, by_resident=True)
    assert (rating.satisfaction, rating.resolution) == ("satisfied", "resolved")
