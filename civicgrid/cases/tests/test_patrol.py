"""Issue 12 point 7: the grid worker's phone — patrols with their track and the cases found
on them, the GPS check-in of an on-site verification, and the list of open cases in my grids."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.cases import actions
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.choices import CaseStatus, Channel, PatrolStatus
from civicgrid.cases.errors import Conflict, InvalidInput, NotFound
from civicgrid.cases.models import Case, Patrol
from civicgrid.cases.tests.factories import advance, duty, make_case
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.core.models import Event
from civicgrid.profiles.actions import save_profile

START = clock.now().replace(microsecond=0)


@pytest.fixture
def routed(world):
    duty(world, "east")
    duty(world, "west")
    return world


def worker(world, street="east"):
    return world.user(street, Role.GRID_WORKER)


def patrol_input(world, **extra):
    centre = world.east.grids[0].shape.centroid
    fields = {
        "request_type": "report",
        "category": "E2103",
        "description": "楼道堆物",
        "channel": Channel.PATROL,
    }
    return CaseInput(lon=centre.x, lat=centre.y, **{**fields, **extra})


# ---------------------------------------------------------------------------- patrols


def test_patrol_start_track_cases_stop(routed):
    world, me = routed, worker(routed)
    centre = world.east.grids[0].shape.centroid
    with time_machine.travel(START, tick=False) as travel:
        patrol = actions.start_patrol(me)
        assert patrol.status == PatrolStatus.ACTIVE and patrol.grid_id == world.east.grids[0].pk
        travel.shift(60)
        actions.add_point(me, patrol.pk, {"lon": centre.x, "lat": centre.y, "accuracy": "12"})
        travel.shift(60)
        patrol = actions.add_point(me, patrol.pk, {"lon": centre.x + 0.001, "lat": centre.y})
        # An imprecise position would add phantom distance: left out of the track.
        actions.add_point(me, patrol.pk, {"lon": centre.x + 0.01, "lat": centre.y, "accuracy": "500"})
        found = actions.report_on_patrol(patrol_input(world), me)
        travel.shift(1800)
        patrol = actions.stop_patrol(me, patrol.pk)
    assert [p[2] for p in patrol.track] == [60, 120]
    assert 90 < patrol.distance_m < 100  # 0.001° of longitude at 31°N ≈ 95 m
    assert list(patrol.cases.all()) == [found] and patrol.duration.total_seconds() == 1920
    stop = Event.objects.get(object_type="patrol", object_id=patrol.pk, action="patrol_stop")
    assert stop.payload == {"points": 2, "distance_m": round(patrol.distance_m), "cases": 1}
    assert Event.objects.filter(object_type="patrol", action__in=["patrol_start", "patrol_case"]).count() == 2
    # A stopped patrol takes no more points and cannot be stopped again.
    with pytest.raises(Conflict):
        actions.add_point(me, patrol.pk, {"lon": centre.x, "lat": centre.y})
    with pytest.raises(Conflict):
        actions.stop_patrol(me, patrol.pk)
    # Reporting without an open patrol links to nothing.
    assert not actions.report_on_patrol(patrol_input(world, description="另一处堆物"), me).patrols.exists()


def test_one_active_patrol_per_worker(routed):
    me = worker(routed)
    first = actions.start_patrol(me)
    with pytest.raises(Conflict):
        actions.start_patrol(me)
    actions.stop_patrol(me, first.pk)
    assert actions.start_patrol(me).pk != first.pk
    assert Patrol.objects.filter(worker=me, status=PatrolStatus.ACTIVE).count() == 1


def test_points_are_checked_and_only_mine(routed):
    me = worker(routed)
    patrol = actions.start_patrol(me)
    with pytest.raises(InvalidInput) as bad:
        actions.add_point(me, patrol.pk, {"lon": "east", "lat": "31.2"})
    assert "lon" in bad.value.fields
    with pytest.raises(InvalidInput) as bad:
        actions.add_point(me, patrol.pk, {"lon": "nan", "lat": "31.2"})
    assert bad.value.fields == {"lon": "invalid"}
    with pytest.raises(InvalidInput) as bad:
        actions.add_point(me, patrol.pk, {"lon": "121.5", "lat": "91"})
    assert bad.value.fields == {"lat": "out_of_range"}
    with pytest.raises(NotFound):
        actions.add_point(worker(routed, "west"), patrol.pk, {"lon": "121.5", "lat": "31.2"})
    with pytest.raises(NotFound):  # the desk reads patrols but does not walk them
        actions.stop_patrol(routed.user("east", Role.DISPATCHER), patrol.pk)


def test_patrol_pages(client, routed):
    world, me = routed, worker(routed)
    client.force_login(me)
    assert client.get(reverse("home"))["Location"] == reverse("cases:mobile")
    assert "开始巡查" in client.get(reverse("cases:mobile")).content.decode()
    client.post(reverse("cases:patrol_start"))
    patrol = Patrol.objects.get(worker=me)
    page = client.get(reverse("cases:mobile")).content.decode()
    assert "结束巡查" in page and reverse("cases:patrol_point", args=[patrol.pk]) in page
    centre = world.east.grids[0].shape.centroid
    url = reverse("cases:patrol_point", args=[patrol.pk])
    answer = client.post(url, {"lon": centre.x, "lat": centre.y})
    assert answer.status_code == 200 and answer.json() == {"points": 1, "distance_m": 0}
    assert client.post(url, {"lon": "x", "lat": "1"}).status_code == 400
    assert client.post(url, {"lat": "31"}).json()["fields"] == {"lon": "required"}
    response = client.post(reverse("cases:patrol_stop", args=[patrol.pk]))
    assert response["Location"] == reverse("cases:patrol", args=[patrol.pk])
    assert client.post(url, {"lon": centre.x, "lat": centre.y}).status_code == 409
    # The desk reads the log and its sums per worker and per grid; the other street does not.
    client.force_login(world.user("east", Role.DISPATCHER))
    page = client.get(reverse("cases:patrols"))
    assert page.status_code == 200 and [p.pk for p in page.context["patrols"]] == [patrol.pk]
    by_worker = dict(page.context["summaries"])["按网格员"]
    assert by_worker[0]["count"] == 1 and by_worker[0]["worker_id"] == me.pk
    assert client.get(reverse("cases:patrol", args=[patrol.pk])).status_code == 200
    assert client.get(reverse("cases:patrols"), {"date_from": "2026-13-01"}).status_code == 200
    client.force_login(world.user("west", Role.DISPATCHER))
    assert client.get(reverse("cases:patrol", args=[patrol.pk])).status_code == 404
    assert list(client.get(reverse("cases:patrols")).context["patrols"]) == []


# ---------------------------------------------------------------------------- check-in


def verified(world, **position):
    case = advance(world, make_case(world, grid=0), CaseStatus.HANDLED)
    actions.run_action(case.pk, "verify_pass", worker(world), position)
    return case, case.events.get(action="verify_pass")


def test_verification_records_the_checkin_distance(routed):
    world = routed
    centre = world.east.grids[0].shape.centroid
    case, event = verified(world, checkin_lon=centre.x + 0.001, checkin_lat=centre.y, checkin_accuracy=8)
    checkin = event.data["checkin"]
    assert 90 < checkin["distance_m"] < 100 and checkin["accuracy_m"] == 8 and checkin["far"] is False
    assert event.event.payload["checkin"] == {"distance_m": checkin["distance_m"], "far": False}
    # Without a position the verification goes through, with no check-in.
    _case, plain = verified(world)
    assert "checkin" not in plain.data
    # Half a position is refused, naming the field.
    case = advance(world, make_case(world, grid=0, description="第三件"), CaseStatus.HANDLED)
    with pytest.raises(InvalidInput) as bad:
        actions.run_action(case.pk, "verify_fail", worker(world), {"reason": "x", "checkin_lon": centre.x})
    assert bad.value.fields == {"checkin_lat": "required"}


def test_far_checkin_is_flagged_by_the_streets_limit(client, routed):
    world = routed
    save_profile(world.east.street, world.user("east", Role.ADMIN), {"cases.checkin_far_m": 50})
    centre = world.east.grids[0].shape.centroid
    case, event = verified(world, checkin_lon=centre.x + 0.001, checkin_lat=centre.y)
    assert event.data["checkin"]["far"] is True and event.data["checkin"]["limit_m"] == 50
    client.force_login(world.user("east", Role.DISPATCHER))
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'class="tl-checkin small far"' in page and "距离较远（超过 50 米）" in page


def test_verify_page_carries_the_checkin_inputs(client, routed):
    world = routed
    advance(world, make_case(world, grid=0), CaseStatus.HANDLED)
    client.force_login(worker(world))
    page = client.get(reverse("cases:mobile_verify")).content.decode()
    for name in ("checkin_lon", "checkin_lat", "checkin_accuracy"):
        assert f'type="hidden" name="{name}"' in page
    assert 'name="photos"' in page and 'name="note"' in page and "data-checkin" in page


# ---------------------------------------------------------------------------- open cases


def test_open_cases_of_my_grids_verify_first(client, routed):
    world = routed
    with time_machine.travel(START, tick=False) as travel:
        old = make_case(world, grid=0, description="最早的一件")
        travel.shift(3600)
        handled = advance(world, make_case(world, grid=0, description="处置完了"), CaseStatus.HANDLED)
        travel.shift(3600)
        newer = make_case(world, grid=0, description="新的一件")
        make_case(world, grid=3, description="别的网格")
        closed = advance(world, make_case(world, grid=0, description="已结案"), CaseStatus.VERIFIED)
        actions.run_action(closed.pk, "close", world.user("east", Role.DISPATCHER), {})
    client.force_login(worker(world))
    client.get(reverse("cases:mobile_cases"))  # warm the session and scope
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cases:mobile_cases"))
    assert [c.number for c in response.context["cases"]] == [handled.number, old.number, newer.number]
    # One query for the list, whatever its length; the rest is the session, the scope and the badge.
    assert sum('FROM "cases_case"' in q["sql"] for q in queries) == 1 and len(queries) <= 10
    # Nearest first (within "to verify" first) with the phone's position.
    far_corner = world.east.grids[0].shape.bounds
    near = client.get(reverse("cases:mobile_cases"), {"lon": far_corner[0], "lat": far_corner[1]})
    assert near.context["near"] and near.context["cases"][0].number == handled.number
    assert client.get(reverse("cases:mobile_cases"), {"lon": "nan", "lat": "1"}).context["near"] is False
    assert Case.objects.count() == 5
