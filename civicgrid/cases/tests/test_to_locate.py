"""Issue 12, points 1 and 2: no order is dropped for its place (待定位), and the desk corrects
the place (更正位置) and settles a grid conflict (选定网格) — by every way in."""

import json
from typing import Any

import pytest
from django.urls import reverse

from civicgrid.accounts import tokens
from civicgrid.accounts.models import Membership
from civicgrid.cases import actions, workflow
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.choices import CaseAction, CaseStatus, PlaceStatus
from civicgrid.cases.errors import Forbidden, InvalidInput, NotFound, TransitionNotAllowed
from civicgrid.cases.intake import hotline
from civicgrid.cases.models import Case, Category, DutyRule
from civicgrid.cases.workbench import queue_cases, queue_counts
from civicgrid.core.choices import Role
from civicgrid.orgs.choices import UnitKind
from civicgrid.orgs.models import Unit
from civicgrid.testing.factories import UserFactory

from .factories import advance, duty, make_case
from .test_import_12345 import HEADERS, rows, write_csv, write_xlsx

pytestmark = pytest.mark.django_db
# The address of the report form's example: no building of the test world has it.
UNKNOWN = "乳山路235弄12号"


def unlocatable(external_id: str, street: str | None = None) -> list[Any]:
    row = rows()[1]  # 东路12号, no coordinates
    row[0], row[5] = external_id, UNKNOWN
    return [*row, street] if street is not None else row


def unplaced(channel: str) -> CaseInput:
    return CaseInput(
        request_type="complaint", category="E2105", description="噪声扰民", channel=channel, address=UNKNOWN
    )


def west_point(world: Any) -> tuple[float, float]:
    shape = world.west.grids[0].shape
    return shape.centroid.x, shape.centroid.y


def in_queue(user: Any, queue: str) -> list[str]:
    listed = list(queue_cases(user, {"queue": queue}).values_list("number", flat=True))
    assert queue_counts(Case.objects.restrict(user))[queue] == len(listed)  # count and list agree
    return listed


# ---------------------------------------------------------------------------- 12345 import


@pytest.mark.parametrize("writer", [write_xlsx, write_csv])
def test_an_unlocatable_row_is_created_to_be_located_in_the_uploaders_street(world, tmp_path, writer):
    desk = world.user("east", Role.DISPATCHER)
    path = writer(tmp_path / f"in.{writer.__name__[-4:].lstrip('_')}", [rows()[0], unlocatable("SH-X1")])
    result = hotline.import_file(path, actor=desk)
    assert result.summary() == "created=2 updated=0 unchanged=0 failed=0"
    case = Case.objects.get(external_id="SH-X1")
    assert (case.place_status, case.street_id, case.grid_id, case.building_id) == (
        PlaceStatus.TO_LOCATE,
        world.east.street.pk,
        None,
        None,
    )
    assert case.address == UNKNOWN and case.number.startswith(world.east.street.code)
    assert case.handling_due_at > case.received_at  # deadlines from the street's profile
    assert in_queue(desk, "to_locate") == [case.number]
    # Importing the same file again changes nothing.
    assert hotline.import_file(path, actor=desk).summary() == "created=0 updated=0 unchanged=2 failed=0"


@pytest.mark.parametrize("header", ["街道", "所属街道"])
def test_the_street_column_names_the_street_by_name_or_code(world, tmp_path, header):
    data = [unlocatable("SH-N", "西"), unlocatable("SH-C", world.west.street.code)]
    result = hotline.import_file(write_xlsx(tmp_path / "in.xlsx", data, [*HEADERS, header]))
    assert result.summary() == "created=2 updated=0 unchanged=0 failed=0"  # the system: any street
    placed = set(Case.objects.values_list("street_id", "place_status"))
    assert placed == {(world.west.street.pk, PlaceStatus.TO_LOCATE)}


def test_a_located_row_outside_the_named_street_is_to_be_located_there(world, tmp_path):
    row = [*rows()[0], "西"]  # the point and 东路11号 are in the east street
    hotline.import_file(write_xlsx(tmp_path / "in.xlsx", [row], [*HEADERS, "街道"]))
    case = Case.objects.get()
    assert (case.street_id, case.place_status, case.grid_id) == (
        world.west.street.pk,
        PlaceStatus.TO_LOCATE,
        None,
    )
    assert case.lon == 121.055  # the point it came with stays for the desk to see


def test_an_unknown_or_foreign_street_is_a_row_error_naming_the_column(world, tmp_path):
    data = [unlocatable("SH-U", "火星街道"), unlocatable("SH-W", "西")]
    result = hotline.import_file(
        write_xlsx(tmp_path / "in.xlsx", data, [*HEADERS, "所属街道"]),
        actor=world.user("east", Role.DISPATCHER),
    )
    assert result.summary() == "created=0 updated=0 unchanged=0 failed=2"
    assert [(e.columns, e.reason) for e in result.errors] == [
        (("所属街道",), "未知的街道“火星街道”，或不在你管辖的街道内"),
        (("所属街道",), "未知的街道“西”，或不在你管辖的街道内"),
    ]


def test_rows_that_cannot_be_an_order_are_still_refused(world, tmp_path):
    no_id, bad_time, bad_type = unlocatable(""), unlocatable("SH-T"), unlocatable("SH-Y")
    bad_time[1], bad_type[2] = "昨天下午", "表扬"
    result = hotline.import_file(
        write_xlsx(tmp_path / "in.xlsx", [no_id, bad_time, bad_type]),
        actor=world.user("east", Role.DISPATCHER),
    )
    assert result.summary() == "created=0 updated=0 unchanged=0 failed=3"
    assert [e.columns for e in result.errors] == [("工单编号",), ("受理时间",), ("诉求类型",)]


def test_the_bulk_path_creates_rows_to_be_located(world, tmp_path):
    desk = world.user("east", Role.DISPATCHER)
    data = [unlocatable(f"SH-B{i:02d}") for i in range(hotline.BULK_MIN_ROWS + 2)]
    data[0][5] = "东路21号"  # one located row among them
    result = hotline.import_file(write_csv(tmp_path / "in.csv", data), actor=desk)
    assert result.created == len(data) and not result.failed
    statuses = list(Case.objects.order_by("external_id").values_list("place_status", flat=True))
    assert statuses == [PlaceStatus.LOCATED] + [PlaceStatus.TO_LOCATE] * (len(data) - 1)
    assert len(in_queue(desk, "to_locate")) == len(data) - 1
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)


def test_a_re_sent_row_does_not_undo_the_desks_correction(world, tmp_path):
    desk = world.user("east", Role.DISPATCHER)
    hotline.import_file(write_xlsx(tmp_path / "a.xlsx", [unlocatable("SH-R")]), actor=desk)
    case = Case.objects.get()
    actions.relocate_case(case, desk, building="东路21号", reason="电话核实")
    changed = unlocatable("SH-R")
    changed[4] = "独居老人需要上门探访，请尽快"
    assert hotline.import_file(write_xlsx(tmp_path / "b.xlsx", [changed]), actor=desk).updated == 1
    case.refresh_from_db()
    assert case.place_status == PlaceStatus.LOCATED and case.building == world.east.buildings[2]


# ---------------------------------------------------------------------------- API and Open311


def api_post(client: Any, user: Any, path: str, body: dict[str, Any]) -> Any:
    key = tokens.issue(user, scopes=["write"]).key
    return client.post(
        "/api/v1" + path,
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def test_the_api_creates_an_unlocatable_case_to_be_located(client, world):
    body = {
        "request_type": "complaint",
        "category": "E2105",
        "description": "楼上噪声",
        "channel": "hotline",
        "address": UNKNOWN,
    }
    response = api_post(client, world.user("east", Role.DISPATCHER), "/cases", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["place_status"] == "to_locate" and data["street"]["code"] == world.east.street.code
    assert data["grid"] is None and data["grid_conflict"] is False
    # Another street's code is unknown to the caller, and says so naming the field.
    other = api_post(
        client, world.user("east", Role.DISPATCHER), "/cases", {**body, "street": world.west.street.code}
    )
    assert other.status_code == 400 and other.json()["error"]["fields"] == {"street": "unknown"}
    reader = tokens.issue(world.user("east", Role.DISPATCHER), scopes=["read"]).key
    listed = client.get(
        "/api/v1/cases", {"place_status": "to_locate"}, headers={"Authorization": f"Bearer {reader}"}
    )
    assert [c["number"] for c in listed.json()["results"]] == [data["number"]]


@pytest.mark.parametrize("where", ["another_street", "unknown_address"])
def test_open311_creates_a_case_it_cannot_place_in_the_street_to_be_located(client, world, where):
    duty(world)
    key = tokens.issue(world.user("east", Role.RESIDENT), scopes=["open311:write"]).key
    data: dict[str, Any] = {
        "jurisdiction_id": world.east.street.code,
        "service_code": "E0102",
        "api_key": key,
    }
    if where == "another_street":
        data["long"], data["lat"] = west_point(world)
    else:
        data["address_string"] = UNKNOWN
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 200, response.content
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert (case.street_id, case.place_status, case.grid_id) == (
        world.east.street.pk,
        PlaceStatus.TO_LOCATE,
        None,
    )


def test_forms_people_fill_in_still_ask_for_a_place(world):
    """The public form and the patrol report ask again: the person is there to answer."""
    with pytest.raises(InvalidInput) as refused:
        actions.create_case(unplaced("patrol"), world.user("east", Role.GRID_WORKER))
    assert refused.value.fields == {"address": "not_located"}


# ---------------------------------------------------------------------------- 更正位置


@pytest.fixture
def lost(world):
    duty(world)
    case = actions.create_case(unplaced("hotline"), world.user("east", Role.DISPATCHER), in_own_street=True)
    assert case.place_status == PlaceStatus.TO_LOCATE
    return case


def by_building(world: Any) -> dict[str, Any]:
    return {"building": str(world.east.buildings[2].pk)}


def by_grid(world: Any) -> dict[str, Any]:
    return {"grid": world.east.grids[3].pk}


def by_point(world: Any) -> dict[str, Any]:
    shape = world.east.grids[1].shape
    return {"lon": shape.centroid.x, "lat": shape.centroid.y}


@pytest.mark.parametrize(
    ("given", "grid"), [(by_building, 2), (by_grid, 3), (by_point, 1)], ids=["building", "grid", "point"]
)
def test_relocate_by_each_input_sets_the_place_and_writes_the_timeline(world, lost, given, grid):
    desk = world.user("east", Role.DISPATCHER)
    case = actions.run_action(
        lost, CaseAction.RELOCATE, desk, {**given(world), "reason": "电话联系诉求人核实"}
    )
    assert case.place_status == PlaceStatus.LOCATED and case.grid_id == world.east.grids[grid].pk
    assert case.residential_area_id == world.east.grids[grid].parent_id
    assert case.street_id == world.east.street.pk and not case.grid_conflict
    event = case.events.last()
    assert (event.action, event.note, event.data["grid"]) == (
        CaseAction.RELOCATE,
        "电话联系诉求人核实",
        world.east.grids[grid].name,
    )
    assert lost.number not in in_queue(desk, "to_locate")


def test_relocate_by_address_finds_the_building(world, lost):
    case = actions.relocate_case(
        lost, world.user("east", Role.DISPATCHER), building="东路22号", reason="核实"
    )
    assert case.building == world.east.buildings[3] and case.lon == world.east.buildings[3].lon


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (lambda w: {"lon": west_point(w)[0], "lat": west_point(w)[1]}, "lon"),
        (lambda w: {"building": str(w.west.buildings[0].pk)}, "building"),  # not even visible
        (lambda w: {}, "building"),
        (lambda w: {**by_grid(w), **by_building(w)}, "building"),
        (lambda w: {"lon": 121.06}, "building"),
        (lambda w: {"lon": 200, "lat": 31.2}, "lon"),
        (lambda w: {"lon": "东经", "lat": 31.2}, "lon"),
    ],
    ids=["other-street-point", "other-street-building", "nothing", "two-inputs", "lon-only", "range", "nan"],
)
def test_relocate_refusals_name_the_field(world, lost, params, field):
    desk = world.user("east", Role.DISPATCHER)
    with pytest.raises(InvalidInput) as refused:
        actions.run_action(lost, CaseAction.RELOCATE, desk, {**params(world), "reason": "核实"})
    assert field in refused.value.fields
    assert Case.objects.get(pk=lost.pk).place_status == PlaceStatus.TO_LOCATE


def test_relocate_outside_the_street_says_so(world, lost):
    with pytest.raises(InvalidInput, match="不在本工单所属的东内"):
        actions.relocate_case(
            lost, world.user("east", Role.DISPATCHER), **by_point_of_west(world), reason="核实"
        )


def by_point_of_west(world: Any) -> dict[str, float]:
    lon, lat = west_point(world)
    return {"lon": lon, "lat": lat}


def test_a_reason_is_required(world, lost):
    with pytest.raises(InvalidInput) as refused:
        actions.run_action(lost, CaseAction.RELOCATE, world.user("east", Role.DISPATCHER), by_grid(world))
    assert refused.value.fields == {"reason": "required"}


def test_routing_is_suggested_not_dispatched(client, world, lost):
    desk = world.user("east", Role.DISPATCHER)
    grid_unit = Unit.objects.create(
        kind=UnitKind.PROPERTY,
        code="EAST-PM",
        name="东2居民区物业",
        district=world.district,
        street=world.east.street,
    )
    DutyRule.objects.create(
        category=Category.objects.get(code="E21"), area=world.east.grids[3], lead_unit=grid_unit
    )
    before = lost.lead_unit_id
    case = actions.run_action(lost, CaseAction.RELOCATE, desk, {**by_grid(world), "reason": "核实"})
    assert case.lead_unit_id == before != grid_unit.pk  # no silent re-dispatch
    assert case.events.last().data["suggested_lead_unit"] == {"id": grid_unit.pk, "name": "东2居民区物业"}
    client.force_login(desk)
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-notice="routing"' in page and "东2居民区物业" in page
    assert 'data-notice="to_locate"' not in page


def test_the_case_page_flags_to_locate_and_offers_the_map(client, world, lost):
    client.force_login(world.user("east", Role.DISPATCHER))
    page = client.get(lost.get_absolute_url()).content.decode()
    assert 'data-notice="to_locate"' in page
    assert 'data-action="relocate" data-location' in page and "relocate-street-map" in page
    client.force_login(world.user("east", Role.LEADER))
    assert 'data-action="relocate"' not in client.get(lost.get_absolute_url()).content.decode()


def test_the_web_form_relocates(client, world, lost):
    client.force_login(world.user("east", Role.DISPATCHER))
    url = reverse("cases:action", args=[lost.number, "relocate"])
    lon, lat = by_point(world)["lon"], by_point(world)["lat"]
    client.post(url, {"version": lost.version, "lon": lon, "lat": lat, "reason": "地图点选"})
    assert Case.objects.get(pk=lost.pk).grid_id == world.east.grids[1].pk


# ---------------------------------------------------------------------------- grid conflict


def grid_worker(world: Any, grid: int) -> Any:
    user = UserFactory(username=f"east-grid-{grid}", role=Role.GRID_WORKER)
    Membership.objects.create(user=user, area=world.east.grids[grid])
    return user


@pytest.fixture
def conflicted(world):
    """The demo's case: the point in one grid (东1居民区1号网格), the building typed in another."""
    duty(world)
    case = make_case(world, grid=0, address="东路21号")
    assert case.grid_conflict and case.grid_id == world.east.grids[0].pk
    assert case.building == world.east.buildings[2]  # in grid 2
    return case


def test_a_grid_conflict_is_flagged_at_intake_and_queued(client, world, conflicted):
    desk = world.user("east", Role.DISPATCHER)
    assert in_queue(desk, "grid_conflict") == [conflicted.number]
    client.force_login(desk)
    page = client.get(conflicted.get_absolute_url()).content.decode()
    assert 'data-notice="grid_conflict"' in page
    assert world.east.grids[0].name in page and world.east.grids[2].name in page
    listed = client.get(reverse("cases:workbench"), {"queue": "grid_conflict"})
    assert [c.number for c in listed.context["page"]] == [conflicted.number]


def test_a_grid_conflict_is_detected_on_correction_too(world):
    duty(world)
    case = make_case(world, grid=0)
    assert not case.grid_conflict
    case = actions.relocate_case(
        case, world.user("east", Role.DISPATCHER), building="东路21号", reason="门牌"
    )
    assert case.grid_conflict and case.grid_id == world.east.grids[2].pk


def test_the_chosen_grid_verifies_and_only_it(world, conflicted):
    desk = world.user("east", Role.DISPATCHER)
    point_worker, building_worker = world.user("east", Role.GRID_WORKER), grid_worker(world, 2)
    assert Case.objects.restrict(point_worker).filter(pk=conflicted.pk).exists()
    assert not Case.objects.restrict(building_worker).filter(pk=conflicted.pk).exists()  # the demo's bug
    case = actions.run_action(
        conflicted, CaseAction.CHOOSE_GRID, desk, {"grid": "building", "note": "以楼栋为准"}
    )
    assert (case.grid_id, case.grid_conflict) == (world.east.grids[2].pk, False)
    assert case.events.last().data["by"] == "building"
    assert conflicted.number not in in_queue(desk, "grid_conflict")
    case = advance(world, case, CaseStatus.HANDLED)
    assert not Case.objects.restrict(point_worker).filter(pk=case.pk).exists()
    verify = list(Case.objects.restrict(building_worker).filter(status=CaseStatus.HANDLED))
    assert verify == [case]
    with pytest.raises(NotFound):
        actions.verify_pass(case, point_worker)
    assert actions.verify_pass(case, building_worker).status == CaseStatus.VERIFIED


def test_the_phone_list_follows_the_chosen_grid(client, world, conflicted):
    desk = world.user("east", Role.DISPATCHER)
    actions.choose_grid(conflicted, desk, grid="building")
    case = advance(world, Case.objects.get(pk=conflicted.pk), CaseStatus.HANDLED)
    client.force_login(grid_worker(world, 2))
    assert case.number in client.get(reverse("cases:mobile_verify")).content.decode()
    client.force_login(world.user("east", Role.GRID_WORKER))
    assert case.number not in client.get(reverse("cases:mobile_verify")).content.decode()


def test_choose_grid_needs_a_conflict(world):
    duty(world)
    with pytest.raises(TransitionNotAllowed):
        actions.choose_grid(make_case(world), world.user("east", Role.DISPATCHER), grid="point")


# ---------------------------------------------------------------------------- who may


@pytest.mark.parametrize("action", [CaseAction.RELOCATE, CaseAction.CHOOSE_GRID])
def test_permission_matrix(client, world, action):
    """Only the desk of the case's street corrects its place; other roles are refused (or do
    not see the case), through the action and on the web."""
    duty(world)
    params = {
        CaseAction.RELOCATE: {**by_grid(world), "reason": "核实"},
        CaseAction.CHOOSE_GRID: {"grid": "point"},
    }
    for street in ("east", "west"):
        for role in Role:
            case = make_case(world, grid=0, address="东路21号")  # a conflict: both actions apply
            user = world.user(street, role)
            if street == "east" and role in (Role.DISPATCHER, Role.ADMIN):
                assert actions.run_action(case, action, user, params[action]).events.last().action == action
                continue
            visible = Case.objects.restrict(user).filter(pk=case.pk).exists()
            with pytest.raises((Forbidden, TransitionNotAllowed) if visible else NotFound):
                actions.run_action(case, action, user, params[action])
            assert action not in workflow.allowed_actions(case, user) or not visible
    case = make_case(world, grid=0, address="东路21号")
    url = reverse("cases:action", args=[case.number, action])
    client.force_login(world.user("west", Role.DISPATCHER))
    assert client.post(url, {"version": case.version, **params[action]}).status_code == 404


def test_orders_to_be_located_at_the_same_address_are_duplicate_candidates(world, lost):
    from civicgrid.cases.duplicates import candidates

    again = actions.create_case(unplaced("hotline"), world.user("east", Role.DISPATCHER), in_own_street=True)
    found = candidates(again)
    assert [c.case.pk for c in found] == [lost.pk] and found[0].distance_m is None
