"""The issue's done-when walk in Chromium, on a phone: the cadre finds every elderly person
living alone in her area who is overdue for a visit, records a visit on the spot (photo, GPS
check-in) and sees it on her home page, the due count one lower."""

import io
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from civicgrid.core.choices import Role
from civicgrid.core.models import Attachment
from civicgrid.residents.choices import VisitStatus
from civicgrid.residents.models import Visit
from civicgrid.testing.browser import BROWSER_MARKS
from civicgrid.testing.factories import PASSWORD
from civicgrid.testing.residents import build_registry

SHOTS = Path("/tmp/civicgrid-visits")
pytestmark = BROWSER_MARKS


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 160, 90)).save(out, format="JPEG")
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_cadre_finds_overdue_elderly_and_records_a_visit(
    live_server, world, browser_context, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    reg = build_registry(world.east)
    home_flat = reg.households[0]  # 王秀英, 独居老人 since 2024: long overdue
    building = home_flat.flat.building
    base = live_server.url
    browser_context.grant_permissions(["geolocation"])
    browser_context.set_geolocation(
        {"longitude": building.lon + 0.0003, "latitude": building.lat, "accuracy": 10}
    )

    page = browser_context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + reverse("accounts:login"))
    page.fill("input[name=username]", world.east.users[Role.CADRE].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(base + reverse("home"))
    panel = page.locator("[data-visit-panel]")
    assert "待走访 3 户，其中逾期 3 户" in panel.inner_text()

    # The due list, filtered to 独居老人 who are overdue: exactly 王秀英's household.
    page.click("text=待走访 3 户，其中逾期 3 户")
    page.select_option("select[name=care]", "alone")
    page.check("input[name=overdue]")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    rows = page.locator("ul.due-list > li")
    assert rows.count() == 1
    shot(page, "1-due-list")
    assert "王秀英" in rows.first.inner_text() and "独居老人" in rows.first.inner_text()

    # The phone form: fits the screen, takes a photo and the position, records the visit.
    with page.expect_navigation():
        rows.first.locator("a").first.click()
    assert page.url.endswith(reverse("residents:mobile_visit", args=[home_flat.pk]))
    page.wait_for_selector("text=已定位")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.check("input[name=method][value=door]")
    page.fill("textarea[name=found]", "老人精神很好，冰箱里有菜，子女每周来电话")
    page.set_input_files(
        "input[name=photos]", files=[{"name": "visit.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    shot(page, "2-phone-form")
    with page.expect_navigation():
        page.click("form.mobile-form button[type=submit]")
    assert "已记录走访" in page.inner_text("body")

    visit = Visit.objects.get(household=home_flat)
    assert visit.status == VisitStatus.DONE
    assert visit.distance_m is not None and visit.distance_m < 50
    assert Attachment.objects.filter(object_id=visit.pk, stage="visit").count() == 1

    # Home: one household fewer to visit, and today's visit listed.
    page.goto(base + reverse("home"))
    panel = page.locator("[data-visit-panel]")
    assert "待走访 2 户，其中逾期 2 户" in panel.inner_text()
    assert panel.locator(f"a[href='{visit.get_absolute_url()}']").count() == 1
    shot(page, "3-home")
