"""The one public view of a case (cases.public): what a resident reads on the tracking page
and through the API, and the personal data typed into a description, masked for staff
until a logged reveal."""

import io
import json

import pytest
from django.urls import reverse
from PIL import Image

from civicgrid.cases import actions
from civicgrid.cases.models import Case
from civicgrid.cases.public import public_case
from civicgrid.cases.tests.factories import duty, make_case
from civicgrid.core.choices import Role
from civicgrid.core.models import PersonalDataAccess
from civicgrid.core.privacy import RevealVia
from civicgrid.testing.api import ApiClient

pytestmark = pytest.mark.django_db

FILE_NOTE = "地址有误，经核实不在本单位辖区"
COMMENT = "内部备注：诉求人情绪激动，注意沟通"
FEEDBACK = "处置单位反馈：已安排保洁人员清运"
SUPERVISION = "督办意见：三日内办结"
RESULT = "已清理完毕，如有问题请联系 13812340000"
CLOSE_NOTE = "内部结案说明：网格员核查通过，结案"
CALLBACK_NOTE = "回访记录：诉求人表示满意"
DESCRIPTION = "小区门口垃圾满溢，我的电话 139 0000 4321，车牌沪A12345 被挡"
MASKED_DESCRIPTION = "小区门口垃圾满溢，我的电话 139****4321，车牌沪A****5 被挡"


def jpeg() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(buf, format="JPEG")
    buf.seek(0)
    return buf


@pytest.fixture
def resident_case(client, world, settings, tmp_path):
    """A resident's report taken through the whole loop by staff, leaving every kind of
    staff-only text behind: notes, feedback, supervision, a callback, staff and unit names."""
    settings.MEDIA_ROOT = tmp_path
    duty(world)
    resident = world.user("east", Role.RESIDENT)
    api = ApiClient(client, resident)
    shape = world.east.grids[0].shape
    created = api.post(
        "/cases",
        {
            "request_type": "complaint",
            "category": "E2105",
            "description": DESCRIPTION,
            "channel": "web",
            "lon": shape.centroid.x,
            "lat": shape.centroid.y,
            "reporter_phone": "13900004321",
        },
    )
    assert created.status_code == 201, created.content
    case = Case.objects.get(number=created.json()["number"])
    user = world.user
    steps = [
        ("file", "dispatcher", {"note": FILE_NOTE}),
        ("comment", "dispatcher", {"note": COMMENT}),
        ("dispatch", "dispatcher", {}),
        ("sign", "handler", {}),
        ("supervise", "leader", {"note": SUPERVISION}),
        ("report_back", "handler", {"feedback": FEEDBACK, "photos": [jpeg()]}),
        ("verify_pass", "gridworker", {}),
        # The desk approves the handler's report, edited, as the public result.
        ("close", "dispatcher", {"public_result": RESULT, "note": CLOSE_NOTE}),
        (
            "callback",
            "dispatcher",
            {"contacted": True, "resolution": "resolved", "satisfaction": "satisfied", "note": CALLBACK_NOTE},
        ),
    ]
    for action, role, params in steps:
        actions.run_action(case.pk, action, user("east", role), params)
    return api, Case.objects.get(pk=case.pk)


def staff_only_texts(world) -> list[str]:
    staff = [world.user("east", r) for r in (Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.GRID_WORKER)]
    return [
        FILE_NOTE,
        COMMENT,
        FEEDBACK,
        SUPERVISION,
        CALLBACK_NOTE,
        CLOSE_NOTE,
        world.east.unit.name,
        "13900004321",
        "13812340000",
        *(u.full_name for u in staff),
        *(u.username for u in staff),
    ]


def test_the_residents_api_answers_carry_nothing_staff_only(resident_case, world):
    api, case = resident_case
    answers = {
        "detail": api.get(f"/cases/{case.number}"),
        "by id": api.get(f"/cases/{case.pk}"),
        "events": api.get(f"/cases/{case.number}/events"),
        "list": api.get("/cases"),
        "photos": api.get(f"/cases/{case.number}/photos"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.content)
        text = json.dumps(response.json(), ensure_ascii=False)
        for secret in staff_only_texts(world):
            assert secret not in text, (name, secret)
    detail = answers["detail"].json()
    assert detail["status"] == "closed" and detail["status_label"] == "已办结"
    # The result is public once the case is closed, with the phone in it masked.
    assert detail["result"] == "已清理完毕，如有问题请联系 138****0000"
    assert set(detail) == {"number", "category", "received_at", "status", "status_label", "result", "steps"}
    assert answers["list"].json()["results"] == [detail]
    assert answers["events"].json()["results"] == detail["steps"]
    [photo] = answers["photos"].json()["results"]
    assert photo["uploaded_by"] is None


def test_public_page_and_resident_api_give_the_same_steps(resident_case, client, world):
    api, case = resident_case
    client.force_login(world.user("east", Role.RESIDENT))
    page = client.get(reverse("cases:case", args=[case.number]))
    shown = page.context["public"]
    assert [step.text for step in shown.steps][:3] == ["已受理您的反映", "已立案", "已派至处置单位"]
    answer = api.get(f"/cases/{case.number}").json()
    assert [(s["text"]) for s in answer["steps"]] == [step.text for step in shown.steps]
    assert len({s["at"] for s in answer["steps"]}) > 1  # each step with its own time
    assert [s["text"] for s in api.get(f"/cases/{case.number}/events").json()["results"]] == [
        step.text for step in shown.steps
    ]
    html = page.content.decode()
    for secret in staff_only_texts(world):
        assert secret not in html, secret
    # The follow-up page (case number + last four digits) shows the same view.
    client.logout()
    followed = client.post(reverse("report:follow"), {"number": case.number, "digits": "4321"})
    assert followed.context["public"] == public_case(case) == shown


def test_a_resident_filtering_events_still_gets_only_public_steps(resident_case):
    api, case = resident_case
    assert api.get(f"/cases/{case.number}/events", action="comment").json()["results"] == []
    [filed] = api.get(f"/cases/{case.number}/events", action="file").json()["results"]
    assert filed["text"] == "已立案" and set(filed) == {"at", "text"}


def test_staff_api_masks_the_description_until_a_logged_reveal(client, world):
    duty(world)
    case = make_case(world, description=DESCRIPTION)
    dispatcher = ApiClient(client, world.user("east", Role.DISPATCHER))
    detail = dispatcher.get(f"/cases/{case.number}").json()
    assert detail["description"] == MASKED_DESCRIPTION and detail["title"] == MASKED_DESCRIPTION
    listed = dispatcher.get("/cases").json()["results"]
    assert [c["description"] for c in listed] == [MASKED_DESCRIPTION]
    assert not PersonalDataAccess.objects.exists()
    refused = dispatcher.get(f"/cases/{case.number}", reveal="description")
    assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]  # a reason is owed
    revealed = dispatcher.get(f"/cases/{case.number}", reveal="description", reason="核实车牌")
    assert revealed.json()["description"] == DESCRIPTION and revealed.json()["title"] == DESCRIPTION
    assert "no-store" in revealed["Cache-Control"]
    row = PersonalDataAccess.objects.get()
    assert row.field == "cases.case.description" and row.via == RevealVia.API
    assert row.user == dispatcher.user and row.object_id == str(case.pk)
    # A role that may not reveal gets the masked text, and nothing is logged.
    leader = ApiClient(client, world.user("east", Role.LEADER))
    assert leader.get(f"/cases/{case.number}", reveal="description").json()["description"] == (
        MASKED_DESCRIPTION
    )
    assert PersonalDataAccess.objects.count() == 1


def test_staff_case_page_masks_the_description_and_logs_the_reveal(client, world):
    case = make_case(world, description=DESCRIPTION)
    page_url = reverse("cases:case", args=[case.number])
    reveal_url = reverse("cases:reveal_description", args=[case.number])
    client.force_login(world.user("east", Role.LEADER))
    html = client.get(page_url).content.decode()
    assert MASKED_DESCRIPTION in html and "13900004321" not in html and "沪A12345" not in html
    assert reveal_url not in html  # a leader may not reveal
    assert client.post(reveal_url).status_code == 404
    dispatcher = world.user("east", Role.DISPATCHER)
    client.force_login(dispatcher)
    html = client.get(page_url).content.decode()
    assert MASKED_DESCRIPTION in html and "139 0000 4321" not in html and reveal_url in html
    assert not PersonalDataAccess.objects.exists()
    response = client.post(reveal_url, {"reason": "核实车牌"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert DESCRIPTION in response.content.decode() and "<html" not in response.content.decode()
    row = PersonalDataAccess.objects.get()
    assert row.field == "cases.case.description" and row.via == RevealVia.WEB
    assert row.user == dispatcher and row.reason == "核实车牌"
    # Without htmx: a page of its own, logged again; a GET reveals nothing.
    assert client.post(reveal_url).status_code == 400  # no reason given: nothing shown, nothing logged
    assert DESCRIPTION in client.post(reveal_url, {"reason": "回访诉求人"}).content.decode()
    assert client.get(reveal_url).status_code == 405 and PersonalDataAccess.objects.count() == 2


def test_no_reveal_offered_when_nothing_is_masked(client, world):
    case = make_case(world, description="楼道灯坏了")
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(reverse("cases:case", args=[case.number])).content.decode()
    assert "楼道灯坏了" in html and reverse("cases:reveal_description", args=[case.number]) not in html
