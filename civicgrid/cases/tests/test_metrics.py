"""The three rates on a hand-computed example (issue 3, point 8; docs/metrics.md).

Ten east cases and two west cases are driven through cases.actions at controlled times
(time_machine) in March 2026, a month without holidays: "1 working day" after a Monday
09:00 receipt ends Tuesday 23:59:59, "5 working days" the next Monday 23:59:59.
The figures are then read on Friday 2026-03-20 10:00 and compared with numbers worked
out by hand below.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civicgrid.accounts.models import User
from civicgrid.cases import actions, metrics
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.errors import InvalidInput
from civicgrid.cases.models import Case, Category, DutyRule
from civicgrid.core.choices import Role
from civicgrid.core.querysets import user_scope
from civicgrid.orgs.choices import UnitKind
from civicgrid.orgs.models import Unit

from .factories import duty, make_case

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 20, 10, 0, tzinfo=SH)


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SH)


def end_of(day: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, 23, 59, 59, tzinfo=SH)


@dataclass
class Scenario:
    world: Any
    cases: dict[str, Case]
    cop: User

    def user(self, street: str, role: str) -> User:
        return self.world.user(street, role)


def _new(
    w: Any, when: dt.datetime, grid: int, category: str, request_type: str, street: str = "east"
) -> Case:
    with time_machine.travel(when, tick=False):
        return make_case(
            w, street=street, grid=grid, category=category, request_type=request_type, received_at=when
        )


def _do(case: Case, steps: list[tuple[str, User, dt.datetime, dict[str, Any]]]) -> Case:
    for action, user, when, params in steps:
        with time_machine.travel(when, tick=False):
            case = actions.run_action(case.pk, action, user, params)
    return case


@pytest.fixture
def scenario(world) -> Scenario:
    w = world
    duty(w, "east")  # 扩展事件 (E21…) → 东城管中队
    duty(w, "west")  # 扩展事件 (E21…) → 西城管中队
    police = Unit.objects.create(
        kind=UnitKind.POLICE, code="900001001-PS", name="东派出所", district=w.district, street=w.east.street
    )
    # The more specific category wins: noise (E2105) goes to the police station.
    DutyRule.objects.create(category=Category.objects.get(code="E2105"), area=w.east.street, lead_unit=police)
    cop = User.objects.create(username="east-cop", role=Role.HANDLER, full_name="东派出所民警")
    cop.memberships.create(unit=police)

    d, cg, wd, wcg = (
        w.user("east", Role.DISPATCHER),
        w.user("east", Role.HANDLER),
        w.user("west", Role.DISPATCHER),
        w.user("west", Role.HANDLER),
    )
    ok = {"resolution": "resolved", "satisfaction": "satisfied"}
    c: dict[str, Case] = {}

    # C1 noise, grid 0 → police. Signed 1 h after receipt; closed 03-05 (due 03-09).
    # Callbacks: 03-06 resolved/满意, then a later attempt that reached nobody (ignored).
    c["C1"] = _new(w, at(2), 0, "E2105", "complaint")
    c["C1"] = _do(
        c["C1"],
        [
            ("file", d, at(2, 9, 10), {}),
            ("dispatch", d, at(2, 9, 20), {}),
            ("sign", cop, at(2, 10), {}),
        ],
    )
    # C8 the same noise reported again, merged into C1: one matter, counted once.
    c["C8"] = _new(w, at(2, 10, 30), 0, "E2105", "complaint")
    c["C8"] = _do(c["C8"], [("merge", d, at(2, 11), {"master": c["C1"].pk})])
    c["C1"] = _do(
        c["C1"],
        [
            ("report_back", cop, at(4, 15), {"feedback": "已上门劝导，噪声已停止"}),
            ("verify_pass", d, at(5, 10), {}),
            ("close", d, at(5, 11), {}),
            ("callback", d, at(6, 10), ok),
            ("callback", d, at(9, 10), {"contacted": False, "note": "电话无人接听"}),
        ],
    )
    # C2 group renting, grid 1 → 城管. Signed 03-04 (response due 03-03 23:59:59: late);
    # closed 03-11 (handling due 03-09 23:59:59: late, so overdue). Two callbacks: the
    # latest (partly / 基本满意) is the one that counts.
    c["C2"] = _new(w, at(2), 1, "E2101", "report")
    c["C2"] = _do(
        c["C2"],
        [
            ("file", d, at(2, 9, 10), {}),
            ("dispatch", d, at(2, 9, 20), {}),
            ("sign", cg, at(4, 10), {}),
            ("report_back", cg, at(10, 9), {"feedback": "已联合房管办整治"}),
            ("verify_pass", d, at(10, 14), {}),
            ("close", d, at(11, 9), {}),
            ("callback", d, at(12, 10), {"resolution": "unresolved", "satisfaction": "unsatisfied"}),
            ("callback", d, at(13, 10), {"resolution": "partly", "satisfaction": "basically"}),
        ],
    )
    # C3 property management, grid 2 → 城管. On time all along, closed 03-05; callback
    # unresolved/不满意 → reopened 03-06 with 3 working days (due 03-11): overdue by 03-20.
    c["C3"] = _new(w, at(3), 2, "E2104", "complaint")
    c["C3"] = _do(
        c["C3"],
        [
            ("file", d, at(3, 9, 20), {}),
            ("dispatch", d, at(3, 9, 30), {}),
            ("sign", cg, at(3, 10), {}),
            ("report_back", cg, at(4, 10), {"feedback": "已约谈物业"}),
            ("verify_pass", d, at(5, 10), {}),
            ("close", d, at(5, 16), {}),
            ("callback", d, at(6, 9), {"resolution": "unresolved", "satisfaction": "unsatisfied"}),
            ("reopen", d, at(6, 11), {"reason": "回访未解决"}),
        ],
    )
    # C4 noise, grid 3 → police. On time, closed 03-06 (due 03-10). First callback reached
    # nobody, the second: resolved / 基本满意.
    c["C4"] = _new(w, at(3), 3, "E2105", "complaint")
    c["C4"] = _do(
        c["C4"],
        [
            ("file", d, at(3, 9, 20), {}),
            ("dispatch", d, at(3, 9, 30), {}),
            ("sign", cop, at(3, 14), {}),
            ("report_back", cop, at(5, 10), {"feedback": "已处理"}),
            ("verify_pass", d, at(6, 9), {}),
            ("close", d, at(6, 10), {}),
            ("callback", d, at(9, 10), {"contacted": False}),
            ("callback", d, at(10, 10), {"resolution": "resolved", "satisfaction": "basically"}),
        ],
    )
    # C5 a waste-sorting suggestion, grid 0, answered and closed by the desk the same day
    # (closing counts as the response); routed to 城管 at intake, never dispatched.
    c["C5"] = _new(w, at(4), 0, "E2106", "suggestion")
    c["C5"] = _do(
        c["C5"],
        [("file", d, at(4, 9, 30), {}), ("close", d, at(4, 14), {}), ("callback", d, at(5, 10), ok)],
    )
    # C6 e-bike charging, grid 1, received Friday 03-06 00:30 (Thursday 16:30 UTC: a UTC
    # date filter would put it on 03-05). Dispatched, never signed: response due 03-09
    # 23:59:59 missed; handling due 03-13 23:59:59 missed → overdue.
    c["C6"] = _new(w, at(6, 0, 30), 1, "E2103", "report")
    c["C6"] = _do(c["C6"], [("file", d, at(6, 9), {}), ("dispatch", d, at(6, 9, 10), {})])
    # C7 illegal building, grid 2, received the day before: response not yet due (03-20
    # 23:59:59), so it is in no response denominator.
    c["C7"] = _new(w, at(19), 2, "E2107", "report")
    # C9 an inquiry rejected without contacting the requester: a missed response.
    c["C9"] = _new(w, at(4), 3, "E2199", "inquiry")
    c["C9"] = _do(c["C9"], [("reject", d, at(4, 11), {"reason": "不属于受理范围"})])
    # C10 lift installation (suggestion: handling 1 working day, due 03-10), grid 3,
    # signed at once, still in progress → overdue.
    c["C10"] = _new(w, at(9), 3, "E2102", "suggestion")
    c["C10"] = _do(
        c["C10"],
        [("file", d, at(9, 9, 10), {}), ("dispatch", d, at(9, 9, 30), {}), ("sign", cg, at(9, 10), {})],
    )

    # West: W1 closed on time with a resolved / 满意 callback; W2 never answered.
    c["W1"] = _new(w, at(2), 0, "E2105", "complaint", street="west")
    c["W1"] = _do(
        c["W1"],
        [
            ("file", wd, at(2, 9, 10), {}),
            ("dispatch", wd, at(2, 9, 20), {}),
            ("sign", wcg, at(2, 10), {}),
            ("report_back", wcg, at(3, 10), {"feedback": "已处理"}),
            ("verify_pass", wd, at(3, 15), {}),
            ("close", wd, at(4, 9), {}),
            ("callback", wd, at(5, 9), ok),
        ],
    )
    c["W2"] = _new(w, at(10), 1, "E2101", "report", street="west")

    with time_machine.travel(NOW, tick=False):
        actions.check_deadlines(NOW)
    cases = {k: Case.objects.get(pk=v.pk) for k, v in c.items()}
    return Scenario(world=w, cases=cases, cop=cop)


def figures(group: dict[str, Any]) -> dict[str, Any]:
    """The numbers worth comparing, as (numerator, denominator, rate)."""
    return {
        "total": group["total"],
        "counted": group["counted"],
        "overdue": group["overdue"],
        **{
            rate.key: (
                group[f"{rate.key}_numerator"],
                group[f"{rate.key}_denominator"],
                group[f"{rate.key}_rate"],
            )
            for rate in metrics.RATES
        },
    }


def read(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        return fn(*args, **kwargs)


# East, all ten cases (C8 is merged into C1 and counted in no rate):
#   response  due: C1 C2 C3 C4 C5 C6 C9 C10 = 8 (C7 not yet due);
#             on time: C1 C3 C4 C5 C10 = 5 (C2 signed late, C6 never, C9 never)   → 5/8 = 0.625
#   callbacks reached: C1 C2 C3 C4 C5 = 5;
#             latest says resolved: C1 C4 C5 = 3                                   → 3/5 = 0.6
#             latest says 满意/基本满意: C1 C2 C4 C5 = 4                            → 4/5 = 0.8
#   closed: C1 C2 C4 C5 = 4 (C3 reopened, C9 rejected); on time: C1 C4 C5 = 3       → 3/4 = 0.75
#   overdue: C2 (closed late), C3, C6, C10 (flagged by check_deadlines) = 4
EAST = {
    "total": 10,
    "counted": 9,
    "overdue": 4,
    "response": (5, 8, 0.625),
    "resolution": (3, 5, 0.6),
    "satisfaction": (4, 5, 0.8),
    "on_time_closure": (3, 4, 0.75),
}


def test_the_example_follows_the_working_day_calendar(scenario):
    c = scenario.cases
    assert (c["C2"].response_due_at, c["C2"].handling_due_at) == (end_of(3), end_of(9))
    assert c["C2"].responded_at == at(4, 10) and c["C2"].closed_at == at(11, 9)
    assert (c["C6"].response_due_at, c["C6"].handling_due_at) == (end_of(9), end_of(13))
    assert c["C10"].handling_due_at == end_of(10)
    assert c["C3"].status == CaseStatus.REOPENED and c["C3"].handling_due_at == end_of(11)
    assert c["C7"].response_due_at == end_of(20)
    assert c["C8"].status == CaseStatus.CLOSED and c["C8"].master_id == c["C1"].pk
    assert c["C5"].responded_at == at(4, 14) and c["C9"].responded_at is None
    assert [k for k, v in c.items() if v.is_overdue] == ["C3", "C6", "C10", "W2"]
    assert c["C1"].lead_unit.name == "东派出所" and c["C2"].lead_unit == scenario.world.east.unit


def test_summary_for_the_east_dispatcher(scenario):
    result = read(metrics.summary, scenario.user("east", Role.DISPATCHER))
    assert figures(result) == EAST
    assert result["name"] == "合计" and result["key"] is None
    assert {k: v for k, v in result["by_status"].items() if v} == {
        "closed": 5,  # C1 C2 C4 C5 and C8 (closed with its master)
        "reopened": 1,
        "dispatched": 1,
        "new": 1,
        "rejected": 1,
        "in_progress": 1,
    }
    assert set(result["by_status"]) == set(CaseStatus.values)


def test_by_street_the_east_user_never_sees_west(scenario):
    east = read(metrics.compute, scenario.user("east", Role.DISPATCHER), group_by="street")
    assert [(g["key"], g["name"]) for g in east] == [(scenario.world.east.street.pk, "东")]
    assert figures(east[0]) == EAST
    # Asking for the west street explicitly gives nothing, not an error.
    assert (
        read(metrics.compute, scenario.user("east", Role.DISPATCHER), street=scenario.world.west.street) == []
    )
    west = read(metrics.compute, scenario.user("west", Role.LEADER), group_by="street")
    assert [g["name"] for g in west] == ["西"]
    # W1: answered, closed on time, resolved and 满意; W2: response due 03-11, missed.
    assert figures(west[0]) == {
        "total": 2,
        "counted": 2,
        "overdue": 1,  # W2: handling due 03-17 23:59:59
        "response": (1, 2, 0.5),
        "resolution": (1, 1, 1.0),
        "satisfaction": (1, 1, 1.0),
        "on_time_closure": (1, 1, 1.0),
    }


def test_superuser_sees_both_streets_and_the_total(scenario):
    root = User.objects.create_superuser("root", password="x")
    groups = read(metrics.compute, root, group_by="street")
    assert [g["name"] for g in groups] == ["东", "西"]  # by area code
    # East + west: response (5+1)/(8+2), resolution (3+1)/(5+1), satisfaction (4+1)/(5+1),
    # closure (3+1)/(4+1).
    assert figures(read(metrics.summary, root)) == {
        "total": 12,
        "counted": 11,
        "overdue": 5,
        "response": (6, 10, 0.6),
        "resolution": (4, 6, 0.6667),
        "satisfaction": (5, 6, 0.8333),
        "on_time_closure": (4, 5, 0.8),
    }
    assert figures(read(metrics.summary, root, street=scenario.world.east.street.code)) == EAST
    assert figures(read(metrics.summary, root, street=scenario.world.east.street.pk)) == EAST


def test_by_grid(scenario):
    groups = read(metrics.compute, scenario.user("east", Role.DISPATCHER), group_by="grid")
    grids = scenario.world.east.grids
    assert [g["key"] for g in groups] == [g.pk for g in grids]
    assert groups[0]["name"] == grids[0].name
    assert [figures(g) for g in groups] == [
        # grid 0: C1, C5 (+ C8 merged). All on time, resolved, 满意.
        {
            "total": 3,
            "counted": 2,
            "overdue": 0,
            "response": (2, 2, 1.0),
            "resolution": (2, 2, 1.0),
            "satisfaction": (2, 2, 1.0),
            "on_time_closure": (2, 2, 1.0),
        },
        # grid 1: C2 (late response, closed late, partly / 基本满意), C6 (never signed).
        {
            "total": 2,
            "counted": 2,
            "overdue": 2,
            "response": (0, 2, 0.0),
            "resolution": (0, 1, 0.0),
            "satisfaction": (1, 1, 1.0),
            "on_time_closure": (0, 1, 0.0),
        },
        # grid 2: C3 (on time, reopened → overdue, unresolved / 不满意), C7 (not yet due).
        {
            "total": 2,
            "counted": 2,
            "overdue": 1,
            "response": (1, 1, 1.0),
            "resolution": (0, 1, 0.0),
            "satisfaction": (0, 1, 0.0),
            "on_time_closure": (0, 0, None),  # nothing closed: no rate, not 0 %
        },
        # grid 3: C4 (all good), C9 (rejected, never contacted), C10 (signed, overdue).
        {
            "total": 3,
            "counted": 3,
            "overdue": 1,
            "response": (2, 3, 0.6667),
            "resolution": (1, 1, 1.0),
            "satisfaction": (1, 1, 1.0),
            "on_time_closure": (1, 1, 1.0),
        },
    ]
    assert groups[1]["by_status"]["closed"] == 1 and groups[1]["by_status"]["dispatched"] == 1


def test_by_residential_area_adds_up_its_grids(scenario):
    groups = read(metrics.compute, scenario.user("east", Role.DISPATCHER), group_by="residential_area")
    assert [g["name"] for g in groups] == ["东1居民区", "东2居民区"]
    # ra 1 = grids 0+1, ra 2 = grids 2+3 (see test_by_grid).
    assert [(g["response_numerator"], g["response_denominator"]) for g in groups] == [(2, 4), (3, 4)]
    assert [g["response_rate"] for g in groups] == [0.5, 0.75]
    assert [g["on_time_closure_rate"] for g in groups] == [round(2 / 3, 4), 1.0]


def test_by_unit_merged_child_not_double_counted(scenario):
    groups = read(metrics.compute, scenario.user("east", Role.DISPATCHER), group_by="unit")
    assert [g["name"] for g in groups] == ["东城管中队", "东派出所"]  # by unit code
    # 城管: C2 C3 C5 C6 C7 C9 C10. Response due C2 C3 C5 C6 C9 C10 = 6, on time C3 C5 C10 = 3;
    # callbacks C2 C3 C5, resolved C5, satisfied C2 C5; closed C2 C5, on time C5.
    assert figures(groups[0]) == {
        "total": 7,
        "counted": 7,
        "overdue": 4,
        "response": (3, 6, 0.5),
        "resolution": (1, 3, 0.3333),
        "satisfaction": (2, 3, 0.6667),
        "on_time_closure": (1, 2, 0.5),
    }
    # 派出所: C1 and C4 — and C8, merged into C1, which counts in no rate.
    assert figures(groups[1]) == {
        "total": 3,
        "counted": 2,
        "overdue": 0,
        "response": (2, 2, 1.0),
        "resolution": (2, 2, 1.0),
        "satisfaction": (2, 2, 1.0),
        "on_time_closure": (2, 2, 1.0),
    }


def test_by_category_and_category_filter(scenario):
    d = scenario.user("east", Role.DISPATCHER)
    groups = {g["code"]: g for g in read(metrics.compute, d, group_by="category")}
    assert list(groups) == ["E2101", "E2102", "E2103", "E2104", "E2105", "E2106", "E2107", "E2199"]
    assert groups["E2105"]["name"] == "噪声扰民"
    assert figures(groups["E2105"]) == {
        "total": 3,
        "counted": 2,
        "overdue": 0,
        "response": (2, 2, 1.0),
        "resolution": (2, 2, 1.0),  # C1 (latest reached callback resolved), C4 (resolved)
        "satisfaction": (2, 2, 1.0),
        "on_time_closure": (2, 2, 1.0),
    }
    assert groups["E2199"]["by_status"]["rejected"] == 1
    assert groups["E2199"]["response_rate"] == 0.0
    # A class includes its sub-categories; a sub-category only itself.
    assert figures(read(metrics.summary, d, category="E21")) == EAST
    assert read(metrics.summary, d, category="E2105")["total"] == 3
    assert read(metrics.summary, d, category=Category.objects.get(code="E")).get("total") == 10
    assert read(metrics.summary, d, category="E05")["total"] == 0


def test_date_range_is_inclusive_in_shanghai_time(scenario):
    d = scenario.user("east", Role.DISPATCHER)
    # Received 03-04 … 03-05 (Shanghai): C5 and C9 only; C6 (03-06 00:30) is outside.
    # Response: C5 on time, C9 missed → 1/2; C5 resolved, 满意, closed on time.
    result = read(metrics.summary, d, date_from=dt.date(2026, 3, 4), date_to="2026-03-05")
    assert figures(result) == {
        "total": 2,
        "counted": 2,
        "overdue": 0,
        "response": (1, 2, 0.5),
        "resolution": (1, 1, 1.0),
        "satisfaction": (1, 1, 1.0),
        "on_time_closure": (1, 1, 1.0),
    }
    one_day = read(metrics.compute, d, date_from="2026-03-06", date_to="2026-03-06", group_by="grid")
    assert [(g["key"], g["total"]) for g in one_day] == [(scenario.world.east.grids[1].pk, 1)]
    assert read(metrics.summary, d, date_from="2026-03-19")["total"] == 1  # C7
    assert read(metrics.summary, d, date_to="2026-03-01")["total"] == 0
    with pytest.raises(InvalidInput):
        metrics.summary(d, date_from="2026-03-10", date_to="2026-03-01")
    with pytest.raises(InvalidInput):
        metrics.summary(d, date_from="March")


def test_narrow_scopes_see_only_their_part(scenario):
    # The east grid worker is bound to grid 0: only that grid's cases.
    worker = scenario.user("east", Role.GRID_WORKER)
    groups = read(metrics.compute, worker, group_by="grid")
    assert [g["key"] for g in groups] == [scenario.world.east.grids[0].pk]
    # The police handler sees the cases dispatched to the police station: C1 and C4
    # (C8 was merged before any dispatch, so it has no assignment there).
    assert figures(read(metrics.summary, scenario.cop))["total"] == 2
    assert read(metrics.compute, scenario.user("east", Role.RESIDENT)) == []


def test_merged_child_waiting_for_its_master_counts_in_no_rate(world):
    duty(world)
    d = world.user("east", Role.DISPATCHER)
    with time_machine.travel(at(2), tick=False):
        master = make_case(world, received_at=at(2))
        child = make_case(world, received_at=at(2))
        actions.run_action(child.pk, "merge", d, {"master": master.pk})
    result = read(metrics.summary, d)
    # Both were due 03-03 and neither was answered: one matter, so 0/1, not 0/2.
    assert (result["total"], result["counted"], result["by_status"]["merged"]) == (2, 1, 1)
    assert (result["response_numerator"], result["response_denominator"]) == (0, 1)


def test_no_cases_gives_none_rates_not_zero(world):
    result = metrics.summary(world.user("east", Role.DISPATCHER))
    assert result["total"] == 0
    assert all(result[f"{r.key}_rate"] is None for r in metrics.RATES)
    assert all(result[f"{r.key}_denominator"] == 0 for r in metrics.RATES)


def test_bad_group_by_is_invalid_input(world):
    with pytest.raises(InvalidInput) as err:
        metrics.compute(world.user("east", Role.DISPATCHER), group_by="weather")
    assert err.value.fields == {"group_by": "invalid_choice"}


def test_query_count_does_not_grow_with_the_cases(scenario, django_assert_max_num_queries):
    d = scenario.user("east", Role.DISPATCHER)
    user_scope(d)  # the scope is read once per request, before any figure

    def count_all() -> None:
        for group_by in metrics.GROUPS:
            with django_assert_max_num_queries(1):
                metrics.compute(d, group_by=group_by, date_from="2026-03-01", category="E21")
        with django_assert_max_num_queries(1):
            metrics.summary(d, street=scenario.world.east.street)

    count_all()
    # Twenty more cases with callbacks change nothing in the number of queries.
    w = scenario.world
    for i in range(20):
        case = _new(w, at(16, 9, i), i % 4, "E2106", "suggestion")
        _do(
            case,
            [
                ("file", d, at(16, 10, i), {}),
                ("close", d, at(16, 11, i), {}),
                ("callback", d, at(17, 9, i), {"resolution": "resolved", "satisfaction": "satisfied"}),
            ],
        )
    assert read(metrics.summary, d)["total"] == 30
    count_all()
