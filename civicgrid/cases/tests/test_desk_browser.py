"""The desk's pages in Debian's Chromium: the searchable category picker and co-unit list
(static/js/picker.js), 立案并派遣, and the workbench's select-all with a bulk action."""

import pytest
from django.urls import reverse

from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import duty, make_case
from civicgrid.cases.tests.test_e2e_browser import login
from civicgrid.testing.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True)
def test_desk_form_picker_and_file_and_dispatch(live_server, world, browser_context):
    duty(world, "east")
    base = live_server.url
    page = login(browser_context, base, "east-dispatcher")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(base + reverse("cases:desk_new"))
    category = page.locator("select[name=category]")
    total = category.locator("option").count()
    search = page.locator("input.picker-search").first
    search.fill("噪声")
    narrowed = category.locator("option").count()
    assert 1 < narrowed < total
    search.fill("E2105")  # one match: chosen
    assert category.input_value() == "E2105"
    search.fill("")
    assert category.locator("option").count() == total and category.input_value() == "E2105"
    page.select_option("select[name=channel]", "phone")
    page.fill("textarea[name=description]", "居民来电：楼上夜间装修噪声")
    page.fill("input[name=reporter_name]", "赵先生")
    page.fill("input[name=address]", world.east.buildings[0].address)
    page.locator("details.desk-dispatch summary").click()
    # The duty table's units, preselected for the category and place (htmx), still editable.
    page.wait_for_selector("#desk-dispatch .desk-proposal")
    lead = page.locator("#desk-dispatch select[name=lead_unit] option:checked")
    assert lead.inner_text() == "东城管中队"
    # Co-handling units: a searchable list of checkboxes, the <select multiple> hidden.
    assert page.locator("select[name=co_units]").is_hidden()
    units = page.locator("#desk-dispatch .picker-list label")
    assert units.count() >= 2
    page.locator("#desk-dispatch input.picker-search").fill("供水")
    visible = [label for label in units.all() if label.is_visible()]
    assert [label.inner_text().strip() for label in visible] == ["测试供水公司"]
    visible[0].locator("input").check()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a phone"
    with page.expect_navigation():
        page.click("button[name=dispatch]")
    case = Case.objects.get()
    assert case.status == CaseStatus.DISPATCHED and case.channel == "phone"
    assert sorted(a.unit.name for a in case.assignments.all()) == ["东城管中队", "测试供水公司"]


@pytest.mark.django_db(transaction=True)
def test_workbench_select_all_and_bulk_file(live_server, world, browser_context):
    for i in range(3):
        make_case(world, grid=i, description=f"第{i}件不同的事情")
    base = live_server.url
    page = login(browser_context, base, "east-dispatcher")
    page.goto(base + reverse("cases:workbench") + "?queue=new")
    # The bulk bar's co-handling units are the checkbox list only (its own CSS once showed
    # the <select multiple> the script hides beside it).
    assert page.locator(".bulk-bar select[name=co_units]").is_hidden()
    assert page.locator(".bulk-bar .picker-list input[type=checkbox]").count() >= 1
    page.check("input[data-select-all]")
    assert page.locator("input[name=cases]:checked").count() == 3
    page.select_option("select[name=action]", "file")
    with page.expect_navigation():
        page.click(".bulk-bar button[type=submit]")
    assert page.locator("tr[data-outcome=done]").count() == 3
    assert Case.objects.filter(status=CaseStatus.FILED).count() == 3
