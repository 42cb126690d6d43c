"""/api/v1/elections/ rounds and elections: lists scoped and paginated with a constant number
of queries, a round made, its rules with their source and an override (with the refusals), the
board, an election with its milestones, and the machine's steps through the action endpoint
(400/403/404/409 as ErrorOut)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.elections.actions.rounds import add_election
from civicgrid.elections.choices import ElectionAction, ElectionStatus, Method, Step
from civicgrid.elections.models import Election, RuleOverride
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.testing.api import ApiClient, TokenLogin
from civicgrid.testing.elections import build_elections
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 6, 1, 9, 0, tzinfo=SHANGHAI)
DAY = date(2027, 8, 20)


class ApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(NOW, tick=False):
            cls.east = build_elections(cls.world.east, day=DAY)
        cls.users = cls.world.east.users
        cls.own, cls.other = cls.east.elections

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def api(self, role: str = Role.ADMIN, street: str = "east") -> ApiClient:
        return ApiClient(self.client, self.world.user(street, role))

    def test_who_reads_what(self) -> None:
        base = "/api/v1/elections"
        viewers = {
            Role.ADMIN: 200,
            Role.LEADER: 200,
            Role.CADRE: 200,
            Role.DISPATCHER: 403,
            Role.RESIDENT: 403,
        }
        for path in (
            "/rounds",
            f"/rounds/{self.east.round.pk}",
            f"/rounds/{self.east.round.pk}/board",
            "/elections",
        ):
            with self.subTest(path=path):
                assert_matrix(TokenLogin(self.client), base + path, viewers, self.users)
        assert_matrix(
            TokenLogin(self.client),
            f"{base}/elections/{self.other.pk}",
            {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 404},
            self.users,
        )
        west = self.api(street="west")
        self.assertEqual(west.get("/elections/rounds").json()["count"], 0)
        self.assertEqual(west.get(f"/elections/rounds/{self.east.round.pk}").status_code, 404)
        self.assertEqual(west.get(f"/elections/elections/{self.own.pk}").status_code, 404)
        self.assertEqual(west.get("/elections/elections/0").status_code, 404)

    def test_lists_filter_and_keep_their_query_count(self) -> None:
        api = self.api()
        rounds = api.get("/elections/rounds").json()
        self.assertEqual(rounds["count"], 1)
        self.assertEqual(rounds["results"][0]["elections"], 2)
        cadre = self.api(Role.CADRE).get("/elections/elections").json()
        self.assertEqual([e["id"] for e in cadre["results"]], [self.own.pk])
        self.assertEqual(self.api(Role.CADRE).get("/elections/rounds").json()["results"][0]["elections"], 1)
        first = api.get("/elections/elections", round=self.east.round.pk).json()["results"][0]
        self.assertEqual(first["next_step"], Step.COMMITTEE_FORMED)
        self.assertEqual(first["next_planned_on"], "2027-07-01")
        self.assertFalse(first["late"])
        self.assertEqual(api.get("/elections/elections", status="committee").json()["count"], 0)
        self.assertEqual(api.get("/elections/elections", method=Method.DIRECT).json()["count"], 2)
        self.assertEqual(api.get("/elections/elections", method="nonsense").status_code, 400)
        before, _ = api.count_queries("/elections/elections")
        street = self.world.east.street
        for i in range(5):
            area = Area.objects.create(
                kind=AreaKind.RESIDENTIAL, code=f"{street.code}8{i:02d}", name=f"A{i}", parent=street
            )
            add_election(self.users[Role.ADMIN], self.east.round, area=area)
        after, response = api.count_queries("/elections/elections")
        self.assertEqual(response.json()["count"], 7)
        self.assertEqual(after, before)
        board_before, _ = api.count_queries(f"/elections/rounds/{self.east.round.pk}/board")
        area = Area.objects.create(
            kind=AreaKind.RESIDENTIAL, code=f"{street.code}899", name="B", parent=street
        )
        add_election(self.users[Role.ADMIN], self.east.round, area=area)
        board_after, board = api.count_queries(f"/elections/rounds/{self.east.round.pk}/board")
        self.assertEqual(len(board.json()["rows"]), 8)
        self.assertEqual(board_after, board_before)

    def test_making_a_round(self) -> None:
        body = {
            "street": self.world.east.street.code,
            "name": "2032 换届",
            "year": 2032,
            "election_day": "2032-06-20",
        }
        made = self.api().post("/elections/rounds", {**body, "method": "household", "seats": 5})
        self.assertEqual(made.status_code, 201, made.content)
        data = made.json()
        self.assertEqual((data["elections"], data["year"]), (2, 2032))
        self.assertEqual({r["source"] for r in data["rules"]}, {"law"})
        again = self.api().post("/elections/rounds", body)
        self.assertEqual((again.status_code, again.json()["error"]["code"]), (409, "conflict"))
        unknown = self.api().post("/elections/rounds", {**body, "street": "nowhere", "year": 2033})
        self.assertEqual(
            (unknown.status_code, unknown.json()["error"]["fields"]), (400, {"street": "unknown"})
        )
        seats = self.api().post("/elections/rounds", {**body, "year": 2034, "seats": 12})
        self.assertEqual(
            (seats.status_code, seats.json()["error"]["fields"]), (400, {"seats": "out_of_range"})
        )
        self.assertEqual(
            self.api(Role.LEADER).post("/elections/rounds", {**body, "year": 2035}).status_code, 403
        )
        self.assertEqual(
            self.api(street="west").post("/elections/rounds", {**body, "year": 2036}).status_code, 400
        )

    def test_overriding_a_rule(self) -> None:
        path = f"/elections/rounds/{self.east.round.pk}/rules"
        done = self.api().post(path, {"key": "turnout_quorum", "value": "2/3", "reason": "区试点方案"})
        self.assertEqual(done.status_code, 200, done.content)
        rules = {r["key"]: r for r in done.json()["rules"]}
        self.assertEqual(
            (rules["turnout_quorum"]["value"], rules["turnout_quorum"]["source"]), ("2/3", "round")
        )
        self.assertEqual(rules["proxy_limit"]["source"], "law")
        (override,) = done.json()["overrides"]
        self.assertEqual(
            (override["previous"], override["value"], override["reason"]), ("1/2", "2/3", "区试点方案")
        )
        self.assertIn("east-admin", override["set_by"])
        for body, fields in (
            ({"key": "list_days_before", "value": 30, "reason": "更早"}, {"value": "schedule"}),
            ({"key": "proxy_limit", "value": "two", "reason": "x"}, {"value": "invalid"}),
            ({"key": "proxy_limit", "value": 2, "reason": " "}, {"reason": "required"}),
            ({"key": "nonsense", "value": 2, "reason": "x"}, {"key": "unknown"}),
        ):
            with self.subTest(body=body):
                refused = self.api().post(path, body)
                self.assertEqual((refused.status_code, refused.json()["error"]["fields"]), (400, fields))
        self.assertEqual(
            self.api(Role.CADRE).post(path, {"key": "proxy_limit", "value": 2, "reason": "x"}).status_code,
            403,
        )
        self.assertEqual(
            self.api(street="west").post(path, {"key": "proxy_limit", "value": 2, "reason": "x"}).status_code,
            404,
        )
        self.assertEqual(RuleOverride.objects.count(), 1)

    def test_board_colours(self) -> None:
        with time_machine.travel(datetime(2027, 7, 5, 9, 0, tzinfo=SHANGHAI), tick=False):
            board = self.api().get(f"/elections/rounds/{self.east.round.pk}/board").json()
        self.assertEqual(board["late"], 2)
        self.assertEqual(board["statuses"], [{"status": "preparing", "label": "筹备中", "count": 2}])
        states = [c["state"] for c in board["rows"][0]["milestones"]]
        self.assertEqual(states[:3], ["late", "soon", "planned"])
        self.assertEqual([c["step"] for c in board["rows"][0]["milestones"]], [s.value for s in Step])

    def test_actions(self) -> None:
        cadre = self.api(Role.CADRE)
        detail = cadre.get(f"/elections/elections/{self.own.pk}")
        self.assertEqual(detail.json()["actions"], [ElectionAction.FORM_COMMITTEE])
        self.assertEqual(len(detail.json()["milestones"]), len(Step))
        path = f"/elections/elections/{self.own.pk}/actions"
        done = cadre.post(f"{path}/form_committee", {"note": "已张榜", "version": detail.json()["version"]})
        self.assertEqual(done.status_code, 200, done.content)
        self.assertEqual(done.json()["status"], ElectionStatus.COMMITTEE)
        self.assertEqual(done.json()["milestones"][0]["done_on"], "2027-06-01")
        stale = cadre.post(f"{path}/divide_groups", {"version": 1})
        self.assertEqual((stale.status_code, stale.json()["error"]["code"]), (409, "conflict"))
        mismatch = cadre.post(f"{path}/divide_groups", {}, headers={"If-Match": detail["ETag"]})
        self.assertEqual(mismatch.status_code, 412)
        # The other committee has no residents' groups yet: the law's guard says so.
        admin = self.api()
        admin.post(f"/elections/elections/{self.other.pk}/actions/form_committee", {})
        refused = admin.post(f"/elections/elections/{self.other.pk}/actions/divide_groups", {})
        self.assertEqual(
            (refused.status_code, refused.json()["error"]["code"]), (409, "transition_not_allowed")
        )
        self.assertIn("居民小组", refused.json()["error"]["message"])
        # A schedule the law forbids names the step; a step the role may not take is a 403.
        bad = admin.post(f"{path}/schedule", {Step.LIST_PUBLISHED: "2027-08-05"})
        self.assertEqual(
            (bad.status_code, bad.json()["error"]["fields"]), (400, {Step.LIST_PUBLISHED: "too_late"})
        )
        self.assertEqual(cadre.post(f"{path}/schedule", {Step.ELECTION_DAY: "2027-08-27"}).status_code, 403)
        self.assertEqual(self.api(Role.LEADER).post(f"{path}/divide_groups", {}).status_code, 403)
        self.assertEqual(
            cadre.post(f"/elections/elections/{self.other.pk}/actions/form_committee", {}).status_code, 404
        )
        self.assertEqual(cadre.post(f"{path}/nonsense", {}).status_code, 400)
        self.assertEqual(Election.objects.get(pk=self.own.pk).status, ElectionStatus.COMMITTEE)
