"""The phone inspection form offline, in Chromium: filled and submitted with the network down,
the draft stays in the browser and the page says so, nothing is recorded; back online it is
sent once; reopening the page sends nothing more."""

import pytest
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.inspections.models import Inspection
from civicgrid.testing.browser import BROWSER_MARKS
from civicgrid.testing.factories import PASSWORD
from civicgrid.testing.inspections import build_inspections

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True)
def test_offline_draft_submitted_once(live_server, world, browser_context) -> None:  # type: ignore[no-untyped-def]
    east = build_inspections(world.east)
    base = live_server.url
    page = browser_context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + reverse("accounts:login"))
    page.fill("input[name=username]", world.east.users[Role.GRID_WORKER].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(lambda u: "/accounts/login" not in u)
    url = base + reverse("inspections:mobile_inspect", args=[east.task.pk])
    page.goto(url)
    radios = page.locator("input[type=radio][value=pass]")
    for i in range(radios.count()):
        radios.nth(i).check()
    page.fill("textarea[name=note]", "离线填写")
    before = Inspection.objects.count()

    browser_context.set_offline(True)
    page.click("button.big-button")
    status = page.locator("[data-draft-status]")
    status.wait_for(state="visible")
    assert "已保存草稿，联网后自动提交" in status.inner_text()
    assert Inspection.objects.count() == before
    assert (
        page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('civicgrid.inspect:')).length") == 1
    )

    browser_context.set_offline(False)
    page.wait_for_url("**/inspections/records/*/")
    assert Inspection.objects.count() == before + 1
    recorded = Inspection.objects.latest("pk")
    assert recorded.note == "离线填写" and recorded.client_key
    assert (
        page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('civicgrid.inspect:')).length") == 0
    )

    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert Inspection.objects.count() == before + 1
