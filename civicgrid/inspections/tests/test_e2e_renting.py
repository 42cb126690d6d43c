"""The issue's done-when walk in Chromium: one group-rented flat from a complaint case to a
closed register entry. The dispatcher registers the flat from the case page's panel; the grid
worker confirms it (joint inspection), rectifies it (tenants informed), then checks it clean
as many times in a row as the street asks, and the entry shows 已销号."""

import pytest
from django.urls import reverse

from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import make_case
from civicgrid.core.choices import Role
from civicgrid.inspections.choices import RentStatus
from civicgrid.inspections.models import RentEntry
from civicgrid.inspections.workflow import clean_checks_required
from civicgrid.residents.choices import FlatUse
from civicgrid.residents.models import Flat
from civicgrid.testing.browser import BROWSER_MARKS
from civicgrid.testing.factories import PASSWORD

pytestmark = BROWSER_MARKS


def login(page, base: str, user) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + reverse("accounts:login"))
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert "/accounts/login" not in page.url


def act(page, action: str, fill: dict[str, str], check: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    box = page.locator(f"#act-{action}")
    box.locator("summary").click()
    for name, value in fill.items():
        box.locator(f"[name={name}]").fill(value)
    for name in check:
        box.locator(f"[name={name}]").check()
    with page.expect_navigation():
        box.locator("button[type=submit]").click()


@pytest.mark.django_db(transaction=True)
def test_group_rented_flat_from_complaint_to_closed_entry(live_server, world, browser_context):
    building = world.east.buildings[0]
    flat = Flat.objects.create(building=building, street=world.east.street, room="1202", floor=12)
    case = make_case(world, description="1202室隔成多间出租，人员进出频繁")
    Case.objects.filter(pk=case.pk).update(building=building)
    base = live_server.url
    page = browser_context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})

    login(page, base, world.east.users[Role.DISPATCHER])
    page.goto(base + reverse("cases:case", args=[case.number]))
    panel = page.locator("#rent-panel")
    panel.locator("select[name=flat]").select_option(str(flat.pk))
    panel.locator("textarea[name=clue]").fill("投诉群租")
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    entry = RentEntry.objects.get(flat=flat)
    assert entry.case_id == case.pk
    assert "待核查" in page.locator("#rent-status").inner_text()

    browser_context.clear_cookies()
    login(page, base, world.east.users[Role.GRID_WORKER])
    page.goto(base + reverse("inspections:rent_entry", args=[entry.pk]))
    act(page, "confirm", {"joint_with": "城管中队、派出所", "tenants": "9", "note": "隔成六间，住九人"})
    assert "确认群租" in page.locator("#rent-status").inner_text()
    flat.refresh_from_db()
    assert flat.use == FlatUse.GROUP_RENTED
    act(page, "rectify", {"partitions_removed": "5", "note": "隔断已拆除"}, check=("tenants_informed",))
    assert "复查中" in page.locator("#rent-status").inner_text()

    required = clean_checks_required(world.east.street.pk)
    for n in range(1, required + 1):
        act(page, "check_clean", {"note": f"第{n}次复查无反弹"})
        assert f"{n} / {required}" in page.locator("#rent-clean").inner_text()
    assert "已销号" in page.locator("#rent-status").inner_text()
    assert RentEntry.objects.get(pk=entry.pk).status == RentStatus.CLOSED
    # The case page now shows the entry instead of the form.
    page.goto(base + reverse("cases:case", args=[case.number]))
    assert "已销号" in page.locator("#rent-panel").inner_text()
