"""The printed forms of a case (cases/printing.py): 派遣单, 督办单 and 结案单 as PDFs, read back
as text; who may print them; their document numbers; the links on the case page."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from civicgrid.cases import actions
from civicgrid.cases.choices import CaseStatus
from civicgrid.core.choices import Role
from civicgrid.testing.browser import CHROMIUM
from civicgrid.testing.factories import PASSWORD

from .factories import advance, duty, make_case

pytestmark = pytest.mark.django_db

DESCRIPTION = "楼上夜间噪声扰民，影响休息，请回电 13912345678"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def printed(client, case, kind: str) -> tuple[str, str]:
    """The form's text and its file name."""
    response = client.get(f"/cases/{case.number}/print/{kind}.pdf")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert "no-cache" in response["Cache-Control"]  # it carries personal data
    return pdf_text(response.content), response["Content-Disposition"]


def squeezed(text: str) -> str:
    # The title is printed letter-spaced; the text extractor gives its letters apart.
    return "".join(text.split())


def assert_common(text: str, case, world) -> None:
    assert case.number in text
    assert world.east.street.name in text  # the letterhead
    assert "E2105 噪声扰民" in text
    # Personal data masked: the reporter's phone and the phone typed into the description.
    assert "138****5678" in text and "139****5678" in text
    assert "13812345678" not in squeezed(text) and "13912345678" not in squeezed(text)


@pytest.fixture
def dispatcher(world, client):
    duty(world).co_units.add(world.shared_unit)
    client.force_login(world.user("east", Role.DISPATCHER))
    return world.user("east", Role.DISPATCHER)


def test_the_dispatch_form_names_the_units_and_has_signature_boxes(world, client, dispatcher):
    case = advance(world, make_case(world, description=DESCRIPTION), CaseStatus.DISPATCHED)
    text, disposition = printed(client, case, "dispatch")
    assert "派遣单" in squeezed(text)
    assert_common(text, case, world)
    for label in ("经办人", "签收单位（盖章）", "签收人", "日期"):
        assert f"{label}：" in text
    lead, co = text.index(world.east.unit.name), text.index(world.shared_unit.name)
    assert lead < co and "主办" in text and "协办" in text
    assert f"{case.number}-PQ01" in text and f'filename="{case.number}-PQ01.pdf"' in disposition
    # A reprint keeps its number.
    assert f"{case.number}-PQ01" in printed(client, case, "dispatch")[0]


def test_the_supervision_form_carries_the_supervision_and_numbers_each_round(world, client, dispatcher):
    case = advance(world, make_case(world, description=DESCRIPTION), CaseStatus.IN_PROGRESS)
    leader = world.user("east", Role.LEADER)
    actions.run_action(case.pk, "supervise", leader, {"note": "请本周内整改到位"})
    text, _ = printed(client, case, "supervision")
    assert "督办单" in squeezed(text)
    assert_common(text, case, world)
    assert "请本周内整改到位" in text and "领导督办" in text
    for label in ("督办人", "被督办单位（盖章）", "签收人", "日期"):
        assert f"{label}：" in text
    assert f"{case.number}-DB01" in text
    actions.run_action(case.pk, "supervise", leader, {"note": "再次督办"})
    text, _ = printed(client, case, "supervision")
    assert f"{case.number}-DB02" in text and "再次督办" in text and "此前督办" in text


def test_the_closure_form_carries_the_result_and_the_timeline(world, client, dispatcher):
    case = advance(world, make_case(world, description=DESCRIPTION), CaseStatus.VERIFIED)
    assert client.get(f"/cases/{case.number}/print/closure.pdf").status_code == 404  # not closed yet
    case = advance(world, case, CaseStatus.CLOSED)
    text, _ = printed(client, case, "closure")
    assert "结案单" in squeezed(text)
    assert_common(text, case, world)
    assert "已整改完毕" in text  # the result
    for step in ("立案", "派遣", "签收", "处置反馈", "核查通过", "结案"):
        assert step in text
    assert f"{world.east.unit.name}、{world.shared_unit.name}" in text  # the dispatch's units
    for label in ("经办人", "审核人", "日期"):
        assert f"{label}：" in text
    assert f"{case.number}-JA01" in text


def test_forms_a_case_does_not_have_yet_and_unknown_kinds_are_404(world, client, dispatcher):
    case = make_case(world)
    for kind in ("dispatch", "supervision", "closure", "invoice"):
        assert client.get(f"/cases/{case.number}/print/{kind}.pdf").status_code == 404


def test_only_staff_who_see_the_case_may_print_it(world, client, dispatcher):
    case = advance(world, make_case(world), CaseStatus.CLOSED)
    url = f"/cases/{case.number}/print/dispatch.pdf"
    for street, role in (("west", Role.DISPATCHER), ("west", Role.ADMIN), ("east", Role.RESIDENT)):
        client.force_login(world.user(street, role))
        assert client.get(url).status_code == 404, (street, role)
    # The lead unit's handler prints the form it signs.
    client.force_login(world.user("east", Role.HANDLER))
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_the_case_page_links_the_forms_the_case_has(world, client, dispatcher):
    case = advance(world, make_case(world), CaseStatus.FILED)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "/print/" not in page
    case = advance(world, case, CaseStatus.DISPATCHED)
    page = client.get(case.get_absolute_url()).content.decode()
    assert f"/cases/{case.number}/print/dispatch.pdf" in page
    assert "/print/closure.pdf" not in page and "/print/supervision.pdf" not in page


def test_the_forms_print_in_english_for_an_english_user(world, client, dispatcher):
    case = advance(world, make_case(world), CaseStatus.DISPATCHED)
    client.cookies["django_language"] = "en"
    text, _ = printed(client, case, "dispatch")
    assert "Dispatch order" in text and "Received by" in text and "Case number" in text
    assert "派遣单" not in squeezed(text)


# ---------------------------------------------------------------------------- the case page on paper


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)")
@pytest.mark.django_db(transaction=True)
def test_the_case_page_prints_without_navigation_or_forms_on_few_pages(live_server, world, browser_context):
    duty(world).co_units.add(world.shared_unit)
    case = advance(world, make_case(world, description=DESCRIPTION), CaseStatus.CLOSED)
    for n in range(4):
        actions.run_action(case.pk, "comment", world.user("east", Role.DISPATCHER), {"note": f"备注 {n}"})
    page = browser_context.new_page()
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", world.user("east", Role.DISPATCHER).username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    page.goto(live_server.url + case.get_absolute_url())
    page.emulate_media(media="print")
    for hidden in (".topbar", ".breadcrumbs", ".actions-panel", ".case-map", ".print-forms", "form"):
        assert not page.locator(hidden).first.is_visible(), hidden
    for shown in ("dl.facts", "ol.timeline", ".case-number"):
        assert page.locator(shown).first.is_visible(), shown
    pdf = page.pdf(format="A4")
    text = pdf_text(pdf)
    assert case.number in text and "备注 3" in text
    # One page here (four before the print stylesheet); two leaves room for what the page grows.
    assert len(PdfReader(io.BytesIO(pdf)).pages) <= 2
