"""The issue's "Done when" in Debian's Chromium: one case from the public report form through
file, dispatch, sign, report back, on-site verification, close and callback."""

import io
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import duty
from civicgrid.core.models import PersonalDataAccess
from civicgrid.testing.browser import BROWSER_MARKS
from civicgrid.testing.factories import PASSWORD

SHOTS = Path("/tmp/civicgrid-cases")
pytestmark = BROWSER_MARKS


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 120, 160)).save(out, format="JPEG")
    return out.getvalue()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(context, base: str, username: str):
    context.clear_cookies()
    page = context.new_page()
    page.goto(base + reverse("accounts:login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    # Home, or the page a role's home sends it to (a grid worker's patrol page).
    page.wait_for_url(lambda url: not url.startswith(base + reverse("accounts:login")))
    return page


def act(page, action: str, **fields: str) -> None:
    """Open an action's panel on the case page, fill it and submit; expect the success message."""
    details = page.locator(f"details.action-{action}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form = page.locator(f"form[data-action={action}]")
    for name, value in fields.items():
        target = form.locator(f"[name={name}]")
        tag = target.first.evaluate("el => el.tagName")
        if tag == "SELECT":
            target.select_option(value)
        elif target.first.get_attribute("type") == "radio":
            form.locator(f"[name={name}][value='{value}']").check()
        else:
            target.fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator(".message.success").count() == 1, page.locator(".messages").inner_text()


@pytest.mark.django_db(transaction=True)
def test_public_report_to_callback(live_server, world, browser_context, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    duty(world, "east")  # 扩展事件 in 东街道 → 东城管中队
    base = live_server.url
    outside: list[str] = []
    browser_context.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)

    # 1. A resident reports noise on the public form, without an account.
    page = browser_context.new_page()
    page.goto(base + reverse("report:form"))
    page.wait_for_selector("[data-pick-map] .leaflet-overlay-pane path")  # the streets, offline
    page.select_option("select[name=category]", "E2105")
    page.select_option("select[name=request_type]", "complaint")
    page.fill("textarea[name=description]", "楼上每晚十一点后还在装修，电钻声很大")
    page.fill("input[name=address]", world.east.buildings[0].address)
    page.set_input_files(
        "input[name=photo]", files=[{"name": "noise.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    page.fill("input[name=reporter_name]", "陈女士")
    page.fill("input[name=reporter_phone]", "13700002468")
    shot(page, "public-report")
    with page.expect_navigation():
        page.click("form.public-form button[type=submit]")
    number = page.locator("[data-case-number]").inner_text().strip()
    case = Case.objects.get(number=number)
    assert case.status == CaseStatus.NEW and case.created_by is None and case.photos.count() == 1

    # …and can follow it with the last four digits.
    page.click("a.button:has-text('查询办理进度')")
    page.fill("input[name=digits]", "2468")
    with page.expect_navigation():
        page.click("form.follow-form button[type=submit]")
    assert "已受理" in page.locator(".public-status").inner_text()

    # 2. The dispatcher finds it in 待受理, files and dispatches it to the routed unit.
    page = login(browser_context, base, "east-dispatcher")
    page.click("nav.mainnav >> text=工单")
    page.wait_for_selector(f"text={number}")
    assert page.locator(".queue.active .queue-count").inner_text() == "1"
    page.select_option("select[name=channel]", "web")  # htmx refresh of the list
    page.wait_for_selector(f"#workbench-results >> text={number}")
    shot(page, "workbench")
    page.click(f"text={number}")
    page.wait_for_selector(".leaflet-marker-icon")
    shot(page, "case-new")
    # The desk sees a masked phone until it asks, giving a reason; the reveal is logged.
    assert "13700002468" not in page.content() and "137****2468" in page.content()
    page.fill("form.reveal-phone input[name=reason]", "回访诉求人")
    page.click("form.reveal-phone button")
    page.wait_for_selector("#reporter .phone.revealed")
    assert "13700002468" in page.locator("#reporter").inner_text()
    assert (
        PersonalDataAccess.objects.filter(
            user__username="east-dispatcher", field="cases.case.reporter_phone", reason="回访诉求人"
        ).count()
        == 1
    )
    act(page, "file")
    assert (
        page.locator("details.action-dispatch select[name=lead_unit] option:checked").inner_text()
        == world.east.unit.name
    )
    act(page, "dispatch")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DISPATCHED

    # 3. The handler sees it in the task list and inbox, signs and reports back with a photo.
    page = login(browser_context, base, "east-handler")
    assert page.locator(".unread-badge").inner_text() == "1"
    page.click("nav.mainnav >> text=我的任务")
    with page.expect_navigation():
        page.click(f"#tasks-pending >> text={number}")
    assert "13700002468" not in page.content() and "137****2468" in page.content()
    assert page.locator("details.action-dispatch").count() == 0
    act(page, "sign")
    details = page.locator("details.action-report_back")
    details.locator("summary").click()
    page.set_input_files(
        "form[data-action=report_back] input[name=photos]",
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}],
    )
    act(page, "report_back", feedback="已上门劝导，施工方承诺夜间停工")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.HANDLED

    # 4. The grid worker verifies on site from the phone page.
    page = login(browser_context, base, "east-gridworker")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + reverse("cases:mobile"))
    shot(page, "mobile-home")
    page.click("text=现场核查")
    card = page.locator(f"article[data-case='{number}']")
    assert "已上门劝导" in card.inner_text()
    shot(page, "mobile-verify")
    with page.expect_navigation():
        card.locator("button:has-text('核查通过')").click()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.VERIFIED
    page.goto(base + reverse("cases:mobile_report"))
    shot(page, "mobile-report")

    # 5. The dispatcher closes it and records the callback.
    page = login(browser_context, base, "east-dispatcher")
    page.goto(base + reverse("cases:case", args=[number]))
    act(page, "close", note="施工方已停止夜间施工")
    act(page, "callback", contacted="1", resolution="resolved", satisfaction="satisfied", note="居民表示满意")
    shot(page, "case-closed")
    assert "已结案" in page.locator(".case-head").inner_text()
    assert "已解决 · 满意" in page.content()
    final = Case.objects.get(pk=case.pk)
    assert final.status == CaseStatus.CLOSED and final.callbacks.get().satisfaction == "satisfied"
    # On a phone the full case page (units table, timeline, photos) fits the screen's width.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "case-closed-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # 6. It counts in the rates: responded, resolved and satisfied, closed on time.
    page.click("nav.mainnav >> text=成效")
    assert page.locator("[data-metric=total]").inner_text() == "1"
    for rate in ("response", "resolution", "satisfaction", "on_time_closure"):
        assert page.locator(f"[data-rate={rate}] .rate-value").inner_text() == "100%", rate
    shot(page, "metrics")

    # The public sees the result too.
    page = browser_context.new_page()
    browser_context.clear_cookies()
    page.goto(base + reverse("report:follow") + f"?number={number}")
    page.fill("input[name=digits]", "2468")
    with page.expect_navigation():
        page.click("form.follow-form button[type=submit]")
    status = page.locator(".public-status").inner_text()
    # The handler's report as the desk approved it at close, not the desk's closing note.
    assert "已办结" in status and "已上门劝导，施工方承诺夜间停工" in status
    assert "施工方已停止夜间施工" not in status
    assert "东街道城运中心调度员" not in page.content()
    assert not [url for url in outside if not url.startswith("data:")], outside  # works offline
