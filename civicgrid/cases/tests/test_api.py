"""The REST API (/api/v1/): token auth, the error shape, scope, the whole loop through HTTP."""

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.accounts import tokens
from civicgrid.cases import actions
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Callback, Case, Photo
from civicgrid.core.choices import Role
from civicgrid.core.models import PersonalDataAccess
from civicgrid.core.privacy import RevealVia

from .factories import advance, duty, jpeg, make_case

pytestmark = pytest.mark.django_db
BASE = "/api/v1"


class Api:
    """A test client speaking JSON with one user's bearer token."""

    def __init__(self, client: Any, user: Any = None, key: str | None = None) -> None:
        self.client = client
        self.user = user
        self.key = key if key is not None else tokens.issue(user, scopes=["write"]).key

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(BASE + path, params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return self.client.post(BASE + path, data, content_type="application/json", headers=self.headers)


@pytest.fixture
def w(world):
    duty(world)
    duty(world, "west")
    return world


@pytest.fixture
def as_(client, w):
    """as_("east", "dispatcher") → an Api client for that user."""
    made: dict[tuple[str, str], Api] = {}

    def make(street: str, role: str) -> Api:
        if (street, role) not in made:
            made[street, role] = Api(client, w.user(street, role))
        return made[street, role]

    return make


def centre(w, street="east", grid=0) -> tuple[float, float]:
    shape = getattr(w, street).grids[grid].shape
    return shape.centroid.x, shape.centroid.y


def new_case_body(w, street="east", grid=0, **overrides: Any) -> dict[str, Any]:
    lon, lat = centre(w, street, grid)
    body = {
        "request_type": "complaint",
        "category": "E2105",
        "description": "楼上夜间噪声扰民，影响休息",
        "channel": "hotline",
        "lon": lon,
        "lat": lat,
        "reporter_name": "王先生",
        "reporter_phone": "13812345678",
    }
    body.update(overrides)
    return body


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert isinstance(error["fields"], dict)
    if field is not None:
        assert field in error["fields"], error
    return error


# ---------------------------------------------------------------------------- auth


def test_missing_wrong_scheme_and_unknown_tokens_are_401(client, w):
    response = client.get(f"{BASE}/cases")
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.get(f"{BASE}/cases", headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    assert_error(Api(client, key="cg_not-a-token").get("/cases"), 401, "invalid_token")


def test_revoked_and_expired_tokens_are_401(client, w):
    user = w.user("east", Role.DISPATCHER)
    revoked, expired, good = tokens.issue(user), tokens.issue(user), tokens.issue(user)
    tokens.revoke(revoked.token)
    expired.token.expires_at = timezone.now() - dt.timedelta(seconds=1)
    expired.token.save()
    assert_error(Api(client, key=revoked.key).get("/cases"), 401, "token_revoked")
    assert_error(Api(client, key=expired.key).get("/cases"), 401, "token_expired")
    assert Api(client, key=good.key).get("/cases").status_code == 200


def test_a_token_printed_by_the_command_works(client, w):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("create_api_token", "east-dispatcher", stdout=out, stderr=io.StringIO())
    response = Api(client, key=out.getvalue().strip()).get("/cases")
    assert response.status_code == 200 and response.json()["count"] == 0


def test_session_login_is_not_api_auth(client, w):
    client.force_login(w.user("east", Role.DISPATCHER))
    assert_error(client.get(f"{BASE}/cases"), 401, "unauthorized")


def test_no_csrf_token_is_needed_with_a_bearer_token(w):
    from django.test import Client

    api = Api(Client(enforce_csrf_checks=True), w.user("east", Role.DISPATCHER))
    assert api.post("/cases", new_case_body(w)).status_code == 201


def test_openapi_schema_builds(client):
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert {"/api/v1/cases", "/api/v1/cases/{ref}", "/api/v1/cases/{ref}/actions/{action}"} <= set(
        schema["paths"]
    )
    assert {"/api/v1/categories", "/api/v1/metrics"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    assert "ErrorOut" in schema["components"]["schemas"]


# ---------------------------------------------------------------------------- create


def test_create_returns_201_with_the_located_routed_case(as_, w):
    body = new_case_body(w, received_at="2026-03-02T09:00:00", external_id="12345-001", source="12345")
    response = as_("east", Role.DISPATCHER).post("/cases", body)
    assert response.status_code == 201, response.content
    data = response.json()
    case = Case.objects.get()
    assert data["id"] == case.pk and data["number"] == "900001001-2026-000001"
    assert data["status"] == "new" and data["version"] == 1
    assert data["street"] == {"code": "900001001", "name": "东"}
    assert data["residential_area"]["code"] == w.east.residential[0].code
    assert data["grid"] == {"code": w.east.grids[0].code, "name": w.east.grids[0].name}
    assert data["lead_unit"] == {"id": w.east.unit.pk, "name": w.east.unit.name}
    assert data["category"] == {"code": "E2105", "name": "噪声扰民"}
    # Naive input is Beijing time; every time comes back with the +08:00 offset.
    assert data["received_at"] == "2026-03-02T09:00:00+08:00"
    assert data["response_due_at"] == "2026-03-03T23:59:59+08:00"  # 1 working day (Mon → Tue)
    assert data["handling_due_at"] == "2026-03-09T23:59:59+08:00"  # 5 working days
    assert data["is_overdue"] is False and data["external_id"] == "12345-001"
    # Masked even for the dispatcher who registered it: the full phone is a logged reveal.
    assert data["reporter"] == {"name": "王先生", "phone": "138****5678", "anonymous": False}
    assert case.events.get().data["via"] == "api" and case.created_by == w.user("east", Role.DISPATCHER)


def test_create_masks_the_phone_for_roles_outside_the_desk(as_, w):
    response = as_("east", Role.GRID_WORKER).post("/cases", new_case_body(w))
    assert response.status_code == 201
    assert response.json()["reporter"]["phone"] == "138****5678"


def test_received_at_with_an_offset_is_kept(as_, w):
    body = new_case_body(w, received_at="2026-03-02T01:00:00Z")
    assert (
        as_("east", Role.DISPATCHER).post("/cases", body).json()["received_at"] == "2026-03-02T09:00:00+08:00"
    )


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"colour": "red"}, "colour", "unknown"),
        ({"category": "NOPE"}, "category", "unknown"),
        ({"request_type": "gossip"}, "request_type", "invalid_choice"),
        ({"description": None}, "description", "invalid"),
        ({"lon": "east"}, "lon", "invalid"),
        ({"received_at": "yesterday"}, "received_at", "invalid"),
    ],
)
def test_bad_input_is_400_naming_the_field(as_, w, overrides, field, reason):
    error = assert_error(
        as_("east", Role.DISPATCHER).post("/cases", new_case_body(w, **overrides)), 400, "invalid"
    )
    assert error["fields"][field] == reason
    assert not Case.objects.exists()


def test_missing_required_fields_are_named(as_, w):
    error = assert_error(as_("east", Role.DISPATCHER).post("/cases", {"category": "E2105"}), 400, "invalid")
    assert {"request_type", "description", "channel"} <= set(error["fields"])
    assert set(error["fields"].values()) == {"required"}


def test_a_location_in_another_street_is_400(as_, w):
    lon, lat = centre(w, "west")
    response = as_("east", Role.DISPATCHER).post("/cases", new_case_body(w, lon=lon, lat=lat))
    assert assert_error(response, 400, "invalid", "address")["fields"]["address"] == "out_of_scope"
    assert not Case.objects.exists()


def test_an_external_id_is_imported_once(as_, w):
    api = as_("east", Role.DISPATCHER)
    body = new_case_body(w, external_id="X1", source="12345")
    assert api.post("/cases", body).status_code == 201
    assert_error(api.post("/cases", body), 409, "conflict", "external_id")


def test_a_body_that_is_not_json_is_400(as_, w):
    api = as_("east", Role.DISPATCHER)
    response = api.client.post(
        f"{BASE}/cases", "{not json", content_type="application/json", headers=api.headers
    )
    assert_error(response, 400, "invalid_json")  # refused by api.guards before the handler


# ---------------------------------------------------------------------------- list


@pytest.fixture
def spread(w):
    """Cases in both streets, over several days, categories, channels and states."""
    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC) + dt.timedelta(hours=-8)
    east = [
        make_case(w, grid=0, received_at=at),
        make_case(
            w, grid=1, received_at=at + dt.timedelta(days=1), channel="web", description="小区门口垃圾满溢"
        ),
        make_case(w, grid=2, received_at=at + dt.timedelta(days=2), category="E0101", request_type="report"),
        make_case(w, grid=3, received_at=at + dt.timedelta(days=3), category="C0110", request_type="help"),
    ]
    west = [make_case(w, street="west", received_at=at), make_case(w, street="west", received_at=at)]
    east[0] = advance(w, east[0], CaseStatus.DISPATCHED)
    east[1] = advance(w, east[1], CaseStatus.FILED)
    Case.objects.filter(pk=east[3].pk).update(is_overdue=True)
    return {"east": east, "west": west}


def numbers(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


def test_list_filters(as_, w, spread):
    api = as_("east", Role.DISPATCHER)
    e = [c.number for c in spread["east"]]
    assert numbers(api.get("/cases")) == set(e)
    assert numbers(api.get("/cases", status="dispatched,filed")) == {e[0], e[1]}
    assert numbers(api.client.get(f"{BASE}/cases?status=new&status=filed", headers=api.headers)) == {
        e[1],
        e[2],
        e[3],
    }
    assert numbers(api.get("/cases", street=w.east.street.code)) == set(e)
    # Another street's code is answered like an unknown one (issue 11: nothing about other streets).
    assert api.get("/cases", street=w.west.street.code).json()["error"]["fields"] == {"street": "unknown"}
    assert numbers(api.get("/cases", grid=w.east.grids[1].code)) == {e[1]}
    assert numbers(api.get("/cases", category="E21")) == {e[0], e[1]}  # a class includes its items
    assert numbers(api.get("/cases", category="E")) == {e[0], e[1], e[2]}  # and the root everything below
    assert numbers(api.get("/cases", category="C0110")) == {e[3]}
    assert numbers(api.get("/cases", overdue="true")) == {e[3]}
    assert numbers(api.get("/cases", overdue="false")) == {e[0], e[1], e[2]}
    assert numbers(api.get("/cases", received_from="2026-03-03", received_to="2026-03-04")) == {e[1], e[2]}
    assert numbers(api.get("/cases", received_to="2026-03-03T09:00:00+08:00")) == {e[0], e[1]}
    assert numbers(api.get("/cases", received_from="2026-03-05T00:00:00")) == {e[3]}
    assert numbers(api.get("/cases", channel="web")) == {e[1]}
    assert numbers(api.get("/cases", q="垃圾满溢")) == {e[1]}
    assert numbers(api.get("/cases", q=e[2])) == {e[2]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "new,asleep"}, "status"),
        ({"category": "NOPE"}, "category"),
        ({"received_from": "last week"}, "received_from"),
        ({"overdue": "perhaps"}, "overdue"),
        ({"page_size": 201}, "page_size"),
        ({"page": 0}, "page"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_list_filters_are_400(as_, w, params, field):
    assert_error(as_("east", Role.DISPATCHER).get("/cases", **params), 400, "invalid", field)


def test_list_is_paginated_newest_first(as_, w, spread):
    api = as_("east", Role.DISPATCHER)
    first = api.get("/cases", page_size=3).json()
    assert (first["count"], first["page"], first["page_size"], len(first["results"])) == (4, 1, 3, 3)
    second = api.get("/cases", page_size=3, page=2).json()
    assert [r["number"] for r in second["results"]] == [spread["east"][0].number]
    assert [r["number"] for r in first["results"]] == [c.number for c in reversed(spread["east"][1:])]
    beyond = api.get("/cases", page_size=3, page=9).json()
    assert beyond["count"] == 4 and beyond["results"] == []
    assert api.get("/cases", page_size=200).json()["page_size"] == 200


def test_list_scope_street_unit_and_resident(as_, w, spread):
    east = {c.number for c in spread["east"]}
    west = {c.number for c in spread["west"]}
    assert numbers(as_("east", Role.DISPATCHER).get("/cases")) == east
    assert numbers(as_("west", Role.DISPATCHER).get("/cases")) == west
    # A handler sees only what was dispatched to its unit.
    assert numbers(as_("east", Role.HANDLER).get("/cases")) == {spread["east"][0].number}
    assert numbers(as_("west", Role.HANDLER).get("/cases")) == set()
    # A resident sees only what they reported themselves.
    resident = as_("east", Role.RESIDENT)
    assert numbers(resident.get("/cases")) == set()
    mine = resident.post("/cases", new_case_body(w, channel="web"))
    assert mine.status_code == 201
    assert numbers(resident.get("/cases")) == {mine.json()["number"]}
    # The resident reads their report as the public does (cases.public): no reporter, no units.
    assert mine.json()["status"] == "accepted" and "reporter" not in mine.json()


def test_list_query_count_does_not_grow_with_rows(as_, w, django_assert_max_num_queries):
    api = as_("east", Role.DISPATCHER)
    make_case(w)
    api.get("/cases")  # the token's first use writes last_used_at; leave that write out
    with CaptureQueriesContext(connection) as one_row:
        assert len(api.get("/cases").json()["results"]) == 1
    for grid in range(4):
        make_case(w, grid=grid)
        advance(w, make_case(w, grid=grid), CaseStatus.DISPATCHED)
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        rows = api.get("/cases").json()["results"]
    assert len(rows) == 9 and all(r["lead_unit"] and r["grid"] and r["category"] for r in rows)


# ---------------------------------------------------------------------------- detail


def test_detail_by_id_and_number_with_assignments_timeline_and_allowed_actions(as_, w):
    case = advance(w, make_case(w), CaseStatus.DISPATCHED)
    api = as_("east", Role.HANDLER)
    data = api.get(f"/cases/{case.pk}").json()
    assert data == api.get(f"/cases/{case.number}").json()
    assert data["status"] == "dispatched" and data["version"] == case.version
    [assignment] = data["assignments"]
    assert assignment["unit"] == {"id": w.east.unit.pk, "name": w.east.unit.name}
    assert (assignment["role"], assignment["status"]) == ("lead", "pending")
    assert assignment["dispatched_at"].endswith("+08:00") and assignment["signed_at"] is None
    assert [e["action"] for e in data["timeline"]] == ["create", "file", "dispatch"]
    dispatch = data["timeline"][-1]
    assert (dispatch["from_status"], dispatch["to_status"]) == ("filed", "dispatched")
    assert dispatch["actor_label"] and dispatch["at"].endswith("+08:00")
    allowed = {a["action"]: a for a in data["allowed_actions"]}
    assert set(allowed) == {"sign", "return", "request_extension", "comment"}
    assert "reason" in allowed["return"]["parameters"] and allowed["sign"]["label"] == "签收"
    assert data["reporter"]["phone"] == "138****5678"
    desk = as_("east", Role.DISPATCHER).get(f"/cases/{case.number}").json()
    assert desk["reporter"]["phone"] == "138****5678"
    assert {"redispatch", "supervise", "merge", "suspend"} <= {a["action"] for a in desk["allowed_actions"]}


def test_reveal_phone_gives_the_desk_the_number_and_logs_it(as_, w):
    case = make_case(w)
    api = as_("east", Role.DISPATCHER)
    # Lists and plain reads never carry the full phone, and log nothing.
    listed = api.get("/cases", reveal="phone").json()["results"]
    assert [r["reporter"]["phone"] for r in listed] == ["138****5678"]
    assert api.get(f"/cases/{case.pk}").json()["reporter"]["phone"] == "138****5678"
    assert not PersonalDataAccess.objects.exists()
    # A reveal needs a reason: without one a 400 names it, and nothing is shown or logged.
    assert_error(api.get(f"/cases/{case.number}", reveal="phone"), 400, "invalid", "reason")
    assert not PersonalDataAccess.objects.exists()
    data = api.get(f"/cases/{case.number}", reveal="phone", reason="回访诉求人").json()
    assert data["reporter"] == {"name": "王先生", "phone": "13812345678", "anonymous": False}
    row = PersonalDataAccess.objects.get()
    assert (row.user, row.field, row.via) == (api.user, "cases.case.reporter_phone", RevealVia.API)
    assert row.object_id == str(case.pk) and row.street_id == w.east.street.pk and row.reason == "回访诉求人"
    admin = as_("east", Role.ADMIN)
    assert admin.get(f"/cases/{case.pk}", reveal="phone", reason="核实").json()["reporter"]["phone"] == (
        "13812345678"
    )
    assert PersonalDataAccess.objects.count() == 2


def test_reveal_phone_is_masked_and_unlogged_for_other_roles(as_, w):
    case = advance(w, make_case(w), CaseStatus.DISPATCHED)
    for role in (Role.HANDLER, Role.CADRE, Role.LEADER, Role.GRID_WORKER):
        response = as_("east", role).get(f"/cases/{case.pk}", reveal="phone")
        assert response.status_code == 200, role
        assert response.json()["reporter"]["phone"] == "138****5678", role
    # Outside the scope the case does not exist, revealed or not.
    assert_error(as_("west", Role.DISPATCHER).get(f"/cases/{case.pk}", reveal="phone"), 404, "not_found")
    assert not PersonalDataAccess.objects.exists()
    assert_error(
        as_("east", Role.DISPATCHER).get(f"/cases/{case.pk}", reveal="name"), 400, "invalid", "reveal"
    )
    assert not PersonalDataAccess.objects.exists()


def test_detail_outside_scope_is_404(as_, w):
    case = make_case(w)
    for api in (as_("west", Role.DISPATCHER), as_("east", Role.HANDLER), as_("east", Role.RESIDENT)):
        assert_error(api.get(f"/cases/{case.pk}"), 404, "not_found")
        assert_error(api.get(f"/cases/{case.number}"), 404, "not_found")
    assert_error(as_("east", Role.DISPATCHER).get("/cases/999999"), 404, "not_found")
    assert_error(as_("east", Role.DISPATCHER).get("/cases/" + "9" * 30), 404, "not_found")


# ---------------------------------------------------------------------------- actions


def act(api: Api, case_ref: Any, action: str, **params: Any) -> dict[str, Any]:
    response = api.post(f"/cases/{case_ref}/actions/{action}", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_whole_loop_through_the_api(as_, w):
    desk, unit, grid = as_("east", Role.DISPATCHER), as_("east", Role.HANDLER), as_("east", Role.GRID_WORKER)
    created = desk.post("/cases", new_case_body(w)).json()
    ref = created["number"]
    data = act(desk, ref, "file", version=created["version"], note="属实")
    assert data["status"] == "filed" and data["version"] == created["version"] + 1
    data = act(desk, ref, "dispatch", version=data["version"], lead_unit=w.east.unit.pk)
    assert data["status"] == "dispatched" and data["lead_unit"]["id"] == w.east.unit.pk
    data = act(unit, ref, "sign", version=data["version"])
    assert data["status"] == "in_progress" and data["responded_at"].endswith("+08:00")
    report = {a["action"]: a["parameters"] for a in data["allowed_actions"]}["report_back"]
    assert set(report) == {"feedback", "version"}  # photos go through the web pages
    data = act(unit, ref, "report_back", version=data["version"], feedback="已上门劝导，噪声消除")
    assert data["status"] == "handled" and data["assignments"][0]["status"] == "handled"
    data = act(grid, created["id"], "verify_pass", version=data["version"], note="现场核实")
    assert data["status"] == "verified"
    data = act(desk, ref, "close", version=data["version"])
    assert data["status"] == "closed" and data["closed_at"]
    data = act(
        desk, ref, "callback", version=data["version"], resolution="resolved", satisfaction="satisfied"
    )
    assert data["status"] == "closed"
    assert [e["action"] for e in data["timeline"]] == [
        "create",
        "file",
        "dispatch",
        "sign",
        "report_back",
        "verify_pass",
        "close",
        "callback",
    ]
    callback = Callback.objects.get()
    assert (callback.resolution, callback.satisfaction, callback.by) == ("resolved", "satisfied", desk.user)


def test_every_other_action_through_the_api(as_, w, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    desk, unit = as_("east", Role.DISPATCHER), as_("east", Role.HANDLER)
    grid, leader, cadre = as_("east", Role.GRID_WORKER), as_("east", Role.LEADER), as_("east", Role.CADRE)
    ref = make_case(w).number
    assert act(grid, ref, "comment", note="现场有人证实")["timeline"][-1]["note"] == "现场有人证实"
    act(leader, ref, "supervise", note="请尽快处理")
    assert act(cadre, ref, "escalate", ladder="dispute")["dispute_level"] == "dispute"
    assert act(desk, ref, "suspend", reason="等待业主回国")["status"] == "suspended"
    assert act(desk, ref, "resume")["status"] == "new"
    act(desk, ref, "file")
    act(desk, ref, "dispatch")
    assert act(unit, ref, "return", reason="不属于本单位职责")["status"] == "returned"
    act(desk, ref, "dispatch")
    assert act(desk, ref, "redispatch", lead_unit=w.east.unit.pk)["status"] == "dispatched"
    act(unit, ref, "sign")
    act(unit, ref, "request_extension", working_days=3, reason="需协调物业")
    act(desk, ref, "refuse_extension", note="时间充足")
    act(unit, ref, "request_extension", working_days=2, reason="材料未到")
    before = Case.objects.get(number=ref).handling_due_at
    data = act(desk, ref, "approve_extension", note="同意")
    assert dt.datetime.fromisoformat(data["handling_due_at"]) > before
    act(unit, ref, "report_back", feedback="已处理")
    assert act(grid, ref, "verify_fail", reason="噪声仍在")["status"] == "in_progress"
    act(unit, ref, "report_back", feedback="已再次处理")
    act(grid, ref, "verify_pass")
    act(desk, ref, "close")
    assert act(desk, ref, "reopen", reason="居民再次反映")["status"] == "reopened"
    # The point stays in grid 0, the building is in grid 1: a conflict the desk settles.
    moved = act(desk, ref, "relocate", building=str(w.east.buildings[1].pk), reason="地址有误")
    assert moved["grid_conflict"] is True and moved["place_status"] == "located"
    assert act(desk, ref, "choose_grid", grid="building")["grid"]["code"] == w.east.grids[1].code

    act(desk, ref, "revoke_link", note="居民称链接被转发")
    rejected = make_case(w, grid=1, photos=[jpeg()])
    photo = rejected.photos.get()
    act(desk, rejected.number, "publish_photo", photo=photo.pk, public=True)
    assert Photo.objects.get(pk=photo.pk).public
    assert act(desk, rejected.number, "reject", reason="不属于受理范围")["status"] == "rejected"
    master, child = make_case(w, grid=2).number, make_case(w, grid=2).number
    data = act(desk, child, "merge", master=master)
    assert data["status"] == "merged" and data["master"] == master

    performed = set(Case.objects.values_list("events__action", flat=True))
    assert set(actions.FRAME.bodies) - {"callback"} <= performed  # the loop test covers callback


def test_a_stale_version_is_409(as_, w):
    desk = as_("east", Role.DISPATCHER)
    case = make_case(w)
    act(desk, case.number, "comment", note="先备注一下", version=1)
    error = assert_error(desk.post(f"/cases/{case.number}/actions/file", {"version": 1}), 409, "conflict")
    assert "2" in error["message"]
    assert Case.objects.get(pk=case.pk).status == CaseStatus.NEW


def test_a_transition_not_allowed_from_the_state_is_409(as_, w):
    case = make_case(w)
    assert_error(
        as_("east", Role.DISPATCHER).post(f"/cases/{case.pk}/actions/close", {}),
        409,
        "transition_not_allowed",
    )
    assert_error(as_("east", Role.DISPATCHER).post(f"/cases/{case.pk}/actions/sign", {}), 403, "forbidden")


def test_a_role_not_allowed_is_403(as_, w):
    case = make_case(w)
    assert_error(as_("east", Role.LEADER).post(f"/cases/{case.pk}/actions/file", {}), 403, "forbidden")
    assert_error(
        as_("east", Role.GRID_WORKER).post(f"/cases/{case.pk}/actions/dispatch", {}), 403, "forbidden"
    )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.NEW


def test_actions_outside_scope_are_404(as_, w):
    case = make_case(w)
    assert_error(as_("west", Role.DISPATCHER).post(f"/cases/{case.pk}/actions/file", {}), 404, "not_found")
    assert_error(
        as_("east", Role.RESIDENT).post(f"/cases/{case.number}/actions/comment", {"note": "x"}),
        404,
        "not_found",
    )


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("file", {"colour": "red"}, "colour"),
        ("teleport", {}, "action"),
        ("reject", {}, "reason"),
        ("file", {"version": "latest"}, "version"),
        ("file", ["not", "an", "object"], "body"),
        ("comment", {"note": "x", "photos": ["a.jpg"]}, "photos"),
    ],
)
def test_bad_action_parameters_are_400(as_, w, action, body, field):
    case = make_case(w)
    response = as_("east", Role.DISPATCHER).post(f"/cases/{case.pk}/actions/{action}", body)
    assert_error(response, 400, "invalid", field)
    assert Case.objects.get(pk=case.pk).version == 1


def test_an_action_without_a_body_takes_no_parameters(as_, w):
    case = make_case(w)
    assert act(as_("east", Role.DISPATCHER), case.pk, "file")["status"] == "filed"
    response = as_("east", Role.DISPATCHER).post(f"/cases/{case.pk}/actions/file")
    assert_error(response, 409, "transition_not_allowed")


# ---------------------------------------------------------------------------- categories and metrics


def test_categories_with_parents_and_default_deadlines(as_, w):
    response = as_("east", Role.HANDLER).get("/categories")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    noise = rows["E2105"]
    assert (noise["name"], noise["parent"], noise["kind"]) == ("噪声扰民", "E21", "event")
    assert noise["default_request_type"] == "complaint" and noise["is_emergency"] is False
    assert noise["deadlines"]["complaint"] == {
        "response_minutes": None,
        "response_working_days": 1,
        "handling_working_days": 5,
        "handling_hours": None,
    }
    assert noise["deadlines"]["inquiry"]["handling_working_days"] == 1
    assert rows["E21"]["parent"] == "E" and rows["E"]["parent"] is None
    sinkhole = rows["E0401"]
    assert sinkhole["is_emergency"] is True  # inherited from the 突发事件 class
    assert sinkhole["deadlines"]["help"] == {
        "response_minutes": 30,
        "response_working_days": None,
        "handling_working_days": None,
        "handling_hours": 2,
    }
    assert rows["C0110"]["kind"] == "component" and rows["C0110"]["default_request_type"] is None


def test_category_overrides_show_in_the_deadlines(as_, w):
    from civicgrid.cases.models import Category

    Category.objects.filter(code="E21").update(handling_working_days=3, response_minutes=60)
    rule = {r["code"]: r for r in as_("east", Role.DISPATCHER).get("/categories").json()}["E2105"][
        "deadlines"
    ]
    assert rule["complaint"]["handling_working_days"] == 3 and rule["complaint"]["response_minutes"] == 60
    assert rule["complaint"]["response_working_days"] is None


def test_category_deadlines_are_the_streets_own(as_, w):
    from civicgrid.profiles.actions import save_profile

    root = w.user("east", Role.ADMIN)
    save_profile(w.east.street, root, {"cases.handling_working_days": {"complaint": 2}})

    def complaint_days(api: Api, **query: Any) -> int:
        rows = {r["code"]: r for r in api.get("/categories", **query).json()}
        return rows["E2105"]["deadlines"]["complaint"]["handling_working_days"]

    assert complaint_days(as_("east", Role.DISPATCHER)) == 2  # the caller's own street
    assert complaint_days(as_("west", Role.DISPATCHER)) == 5  # the other street keeps the default
    assert complaint_days(as_("east", Role.DISPATCHER), street=w.east.street.code) == 2
    # Another street's code is refused exactly like a code that does not exist.
    other = assert_error(
        as_("west", Role.DISPATCHER).get("/categories", street=w.east.street.code), 400, "invalid", "street"
    )
    unknown = assert_error(
        as_("west", Role.DISPATCHER).get("/categories", street="NOPE"), 400, "invalid", "street"
    )
    assert other["message"].replace(w.east.street.code, "X") == unknown["message"].replace("NOPE", "X")


def test_metrics_rows_per_group_in_scope(as_, w):
    done = advance(w, make_case(w, received_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)), CaseStatus.CLOSED)
    actions.run_action(
        done.pk,
        "callback",
        w.user("east", Role.DISPATCHER),
        {"resolution": "resolved", "satisfaction": "satisfied"},
    )
    make_case(w, grid=3, received_at=dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC))
    make_case(w, street="west", received_at=dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC))
    api = as_("east", Role.DISPATCHER)
    data = api.get("/metrics").json()
    assert data["group_by"] == "street"
    [row] = data["results"]  # the west street's case is outside the scope
    assert (row["code"], row["total"]) == (w.east.street.code, 2)
    assert row["resolution_rate"] == 1.0 and row["satisfaction_rate"] == 1.0
    assert data["total"]["total"] == 2
    grids = api.get("/metrics", group_by="grid", street=w.east.street.code, **{"from": "2026-03-03"}).json()
    assert [(r["code"], r["total"]) for r in grids["results"]] == [(w.east.grids[3].code, 1)]
    assert grids["date_from"] == "2026-03-03"
    units = api.get("/metrics", group_by="unit").json()["results"]
    assert {r["name"] for r in units} == {w.east.unit.name}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "planet"}, "group_by"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "from"),
        ({"from": "soon"}, "from"),
        ({"street": "000"}, "street"),
    ],
)
def test_bad_metrics_queries_are_400(as_, w, params, field):
    assert_error(as_("east", Role.DISPATCHER).get("/metrics", **params), 400, "invalid", field)


def test_interactive_docs_are_served_without_a_cdn(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in html and "cdn." not in html and "unpkg" not in html
