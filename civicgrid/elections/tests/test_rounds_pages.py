"""The rounds' pages: who sees them, a round made from the index, the rules' sources and an
override from the round page (and its refusals), an election added, the board's colours on a
frozen date with a constant number of queries, the election page's action forms (a step taken,
a step the law refuses, with its reason and no 500), its event history, and the admin lists."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.accounts.models import User
from civicgrid.core.choices import Role
from civicgrid.elections.actions.elections import ELECTION_FRAME
from civicgrid.elections.actions.rounds import add_election, create_round, override_rule
from civicgrid.elections.checks import NO_GROUPS
from civicgrid.elections.choices import ElectionAction, ElectionStatus, Method, Step
from civicgrid.elections.models import Election, ElectionRound, Milestone, RuleOverride
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.testing.elections import build_elections
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 6, 1, 9, 0, tzinfo=SHANGHAI)
DAY = date(2027, 8, 20)
VIEWERS = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200}
OTHERS = {Role.DISPATCHER: 404, Role.GRID_WORKER: 404, Role.HANDLER: 404, Role.RESIDENT: 404}


class PagesBase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(NOW, tick=False):
            cls.east = build_elections(cls.world.east, day=DAY)
        cls.users = cls.world.east.users
        cls.admin, cls.cadre = cls.users[Role.ADMIN], cls.users[Role.CADRE]
        cls.round_url = reverse("elections:round", args=[cls.east.round.pk])
        cls.board_url = reverse("elections:board", args=[cls.east.round.pk])
        cls.own, cls.other = cls.east.elections
        cls.own_url = reverse("elections:election", args=[cls.own.pk])

    def setUp(self) -> None:
        self.traveller = time_machine.travel(NOW, tick=False)
        self.traveller.start()
        self.addCleanup(self.traveller.stop)


class AccessTests(PagesBase):
    def test_every_page_for_each_role(self) -> None:
        for url in (reverse("elections:index"), self.round_url, self.board_url, self.own_url):
            with self.subTest(url=url):
                assert_matrix(self.client, url, {**VIEWERS, **OTHERS}, self.users)
        other_url = reverse("elections:election", args=[self.other.pk])
        assert_matrix(
            self.client, other_url, {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 404}, self.users
        )

    def test_another_streets_office_finds_nothing(self) -> None:
        self.client.force_login(self.world.west.users[Role.ADMIN])
        for url in (self.round_url, self.board_url, self.own_url):
            self.assertEqual(self.client.get(url).status_code, 404, url)
        page = self.client.get(reverse("elections:index"))
        self.assertNotContains(page, self.east.round.name)

    def test_cadre_sees_only_their_committee_and_no_office_forms(self) -> None:
        self.client.force_login(self.cadre)
        for url in (self.round_url, self.board_url):
            page = self.client.get(url)
            self.assertContains(page, self.own.area.name)
            self.assertNotContains(page, self.other.area.name)
        page = self.client.get(self.round_url)
        self.assertNotContains(page, reverse("elections:round_rule", args=[self.east.round.pk]))
        self.assertNotContains(page, reverse("elections:round_add", args=[self.east.round.pk]))
        self.assertContains(self.client.get("/"), reverse("elections:index"))

    def test_index_lists_rounds_newest_first_with_the_form_for_the_office(self) -> None:
        create_round(
            self.admin,
            street=self.world.east.street,
            name="2032 换届",
            year=2032,
            election_day=DAY,
            committees=False,
        )
        self.client.force_login(self.admin)
        page = self.client.get(reverse("elections:index")).content.decode()
        self.assertLess(page.index("2032 换届"), page.index(self.east.round.name))
        self.assertIn('name="election_day"', page)
        self.client.force_login(self.users[Role.LEADER])
        self.assertNotContains(self.client.get(reverse("elections:index")), 'name="election_day"')


class RoundFormsTests(PagesBase):
    def test_creating_a_round_from_the_index(self) -> None:
        self.client.force_login(self.admin)
        data = {
            "street": self.world.east.street.pk,
            "name": "2031 换届",
            "year": 2031,
            "election_day": "2031-06-15",
            "method": Method.HOUSEHOLD,
            "seats": 5,
        }
        response = self.client.post(reverse("elections:index"), data)
        made = ElectionRound.objects.get(street=self.world.east.street, year=2031)
        self.assertRedirects(response, made.get_absolute_url())
        elections = list(made.elections.all())
        self.assertEqual(len(elections), 2)
        self.assertEqual({(e.method, e.seats) for e in elections}, {(Method.HOUSEHOLD, 5)})
        self.assertEqual(Milestone.objects.filter(election__round=made).count(), 2 * len(Step))
        # The same year again, seats outside the law: the form says why, nothing is made.
        again = self.client.post(reverse("elections:index"), {**data, "name": "重复"})
        self.assertContains(again, "2031")
        self.assertContains(again, "已有")
        bad = self.client.post(reverse("elections:index"), {**data, "year": 2033, "seats": 12})
        self.assertContains(bad, "应选名额须在 5 到 9 人之间")
        self.assertFalse(ElectionRound.objects.filter(year=2033).exists())

    def test_only_the_office_creates(self) -> None:
        self.client.force_login(self.users[Role.LEADER])
        data = {"street": self.world.east.street.pk, "name": "x", "year": 2040, "election_day": "2040-06-01"}
        self.client.post(reverse("elections:index"), {**data, "method": Method.DIRECT, "seats": 7})
        self.assertFalse(ElectionRound.objects.filter(year=2040).exists())

    def test_rules_show_their_source_and_an_override_is_recorded(self) -> None:
        self.client.force_login(self.admin)
        page = self.client.get(self.round_url)
        self.assertContains(page, "法定默认")
        self.assertNotContains(page, "本届调整</strong>")
        url = reverse("elections:round_rule", args=[self.east.round.pk])
        response = self.client.post(
            url,
            {"rule-key": "proxy_limit", "rule-value": "2", "rule-reason": "区民政局通知第 3 号"},
            follow=True,
        )
        self.assertContains(response, "由 3 调整为 2")
        self.assertContains(response, "本届调整</strong>")
        self.assertContains(response, "区民政局通知第 3 号")
        row = RuleOverride.objects.get(round=self.east.round)
        self.assertEqual((row.previous, row.value, row.set_by), (3, 2, self.admin))

    def test_refused_overrides_say_why(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("elections:round_rule", args=[self.east.round.pk])
        cases = (
            ({"rule-key": "list_days_before", "rule-value": "30", "rule-reason": "更早"}, "日程不再合规"),
            ({"rule-key": "turnout_quorum", "rule-value": "abc", "rule-reason": "试点"}, "分数"),
            ({"rule-key": "proxy_limit", "rule-value": "2", "rule-reason": ""}, "调整理由"),
            ({"rule-key": "nonsense", "rule-value": "2", "rule-reason": "x"}, "规则"),
        )
        for data, said in cases:
            with self.subTest(data=data):
                response = self.client.post(url, data, follow=True)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "未能调整规则")
                self.assertContains(response, said)
        self.assertFalse(RuleOverride.objects.exists())
        self.client.force_login(self.cadre)
        response = self.client.post(url, cases[0][0] | {"rule-value": "21"}, follow=True)
        self.assertContains(response, "你不能在该街道组织换届选举")
        self.assertFalse(RuleOverride.objects.exists())

    def test_adding_a_committees_election(self) -> None:
        election_round = create_round(
            self.admin,
            street=self.world.east.street,
            name="2030 换届",
            year=2030,
            election_day=DAY,
            committees=False,
        )
        self.client.force_login(self.admin)
        url = reverse("elections:round_add", args=[election_round.pk])
        area = self.world.east.residential[1]
        data = {
            "add-area": area.pk,
            "add-method": Method.REPRESENTATIVE,
            "add-seats": 9,
            "add-vice_chairs": 2,
        }
        response = self.client.post(url, data)
        election = Election.objects.get(round=election_round, area=area)
        self.assertRedirects(response, election.get_absolute_url())
        self.assertEqual(
            (election.method, election.seats, election.vice_chairs), (Method.REPRESENTATIVE, 9, 2)
        )
        # The committee now has one: it is no longer offered, and posting it again is refused.
        page = self.client.get(election_round.get_absolute_url())
        self.assertNotContains(page, f'<option value="{area.pk}"')
        again = self.client.post(url, data, follow=True)
        self.assertContains(again, "未能列入选举")
        self.assertEqual(Election.objects.filter(round=election_round).count(), 1)


class BoardTests(PagesBase):
    def test_colours_on_a_frozen_date(self) -> None:
        # Committee formed on time in the cadre's committee only; then on 2027-07-05 the other
        # committee is late with it (planned 07-01) and both are due soon to divide groups (07-07).
        with time_machine.travel(datetime(2027, 6, 30, 9, 0, tzinfo=SHANGHAI), tick=False):
            ELECTION_FRAME.run(self.own.pk, ElectionAction.FORM_COMMITTEE, self.cadre, {})
        with time_machine.travel(datetime(2027, 7, 5, 9, 0, tzinfo=SHANGHAI), tick=False):
            self.client.force_login(self.admin)
            page = self.client.get(self.board_url)
        rows = page.context["rows"]
        by_area = {row.election.area_id: {c.step: c.state for c in row.cells} for row in rows}
        own, other = by_area[self.own.area_id], by_area[self.other.area_id]
        self.assertEqual(own[Step.COMMITTEE_FORMED], "done")
        self.assertEqual(other[Step.COMMITTEE_FORMED], "late")
        self.assertEqual(own[Step.GROUPS_DIVIDED], "soon")
        self.assertEqual(other[Step.REGISTRATION_OPENED], "planned")  # 07-13: more than 7 days away
        self.assertEqual(page.context["late"], 1)
        self.assertEqual(
            [(s, n) for s, _label, n in page.context["counts"]],
            [(ElectionStatus.PREPARING, 1), (ElectionStatus.COMMITTEE, 1)],
        )
        html = page.content.decode()
        self.assertIn("table-scroll", html)
        self.assertIn('class="cell state-late"', html)
        self.assertIn("✓ 06-30", html)

    def test_deferred_is_shown_and_never_late(self) -> None:
        ELECTION_FRAME.run(self.other.pk, ElectionAction.DEFER, self.admin, {"note": "列入旧区改造"})
        with time_machine.travel(datetime(2027, 7, 20, 9, 0, tzinfo=SHANGHAI), tick=False):
            self.client.force_login(self.admin)
            page = self.client.get(self.board_url)
        row = next(r for r in page.context["rows"] if r.election.pk == self.other.pk)
        self.assertTrue(row.deferred)
        self.assertFalse(row.late)
        self.assertContains(page, "暂缓")
        self.assertContains(page, 'class="deferred"')

    def test_constant_queries_with_sixteen_more_committees(self) -> None:
        self.client.force_login(self.admin)
        self.client.get(self.board_url)  # the session's first use is not the board's

        def count() -> int:
            with CaptureQueriesContext(connection) as ctx:
                response = self.client.get(self.board_url)
            self.assertEqual(response.status_code, 200)
            return len(ctx.captured_queries)

        before = count()
        street = self.world.east.street
        for i in range(16):
            area = Area.objects.create(
                kind=AreaKind.RESIDENTIAL, code=f"{street.code}9{i:02d}", name=f"新建{i}居民区", parent=street
            )
            add_election(self.admin, self.east.round, area=area)
        self.assertEqual(count(), before)
        self.assertEqual(len(self.client.get(self.board_url).context["rows"]), 18)
        self.assertEqual(count(), before)
        with CaptureQueriesContext(connection) as ctx:
            self.client.get(self.round_url)
        with_many = len(ctx.captured_queries)
        self.assertLess(with_many, 30)


class ElectionPageTests(PagesBase):
    def test_page_shows_the_plan_and_the_forms_the_reader_may_use(self) -> None:
        self.client.force_login(self.cadre)
        page = self.client.get(self.own_url)
        self.assertContains(page, "全体选民直接选举")
        self.assertContains(page, "2027-07-01")  # committee formed, 50 days before
        self.assertContains(page, reverse("elections:act", args=[self.own.pk, ElectionAction.FORM_COMMITTEE]))
        # Scheduling and deferring are the street office's.
        self.assertNotContains(page, reverse("elections:act", args=[self.own.pk, ElectionAction.SCHEDULE]))
        self.client.force_login(self.admin)
        page = self.client.get(self.own_url)
        self.assertContains(page, reverse("elections:act", args=[self.own.pk, ElectionAction.SCHEDULE]))
        self.client.force_login(self.users[Role.LEADER])
        self.assertNotContains(self.client.get(self.own_url), "/act/")

    def test_a_step_from_the_page_and_its_history(self) -> None:
        self.client.force_login(self.cadre)
        url = reverse("elections:act", args=[self.own.pk, ElectionAction.FORM_COMMITTEE])
        page = self.client.post(
            url, {"version": self.own.version, "note": "选举委员会 7 人，已张榜"}, follow=True
        )
        self.assertEqual(page.redirect_chain, [(self.own_url, 302)])
        election = Election.objects.get(pk=self.own.pk)
        self.assertEqual(election.status, ElectionStatus.COMMITTEE)
        self.assertContains(page, "已成立选举委员会")
        events = page.context["events"]
        self.assertEqual(events[0]["label"], "成立选举委员会")
        self.assertEqual(events[0]["note"], "选举委员会 7 人，已张榜")
        self.assertEqual(events[-1]["label"], "列入本届选举")
        self.assertEqual(page.context["row"].cells[0].done_on, NOW.date())

    def test_a_refused_step_says_why(self) -> None:
        ELECTION_FRAME.run(self.other.pk, ElectionAction.FORM_COMMITTEE, self.admin, {})
        self.client.force_login(self.admin)
        other_url = reverse("elections:election", args=[self.other.pk])
        # The page names the guard instead of offering the step.
        page = self.client.get(other_url)
        self.assertContains(page, str(NO_GROUPS))
        self.assertNotContains(
            page, reverse("elections:act", args=[self.other.pk, ElectionAction.DIVIDE_GROUPS])
        )
        # Posted anyway: the guard's message, no 500, nothing moved.
        other = Election.objects.get(pk=self.other.pk)
        url = reverse("elections:act", args=[self.other.pk, ElectionAction.DIVIDE_GROUPS])
        response = self.client.post(url, {"version": other.version}, follow=True)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, str(NO_GROUPS))
        self.assertEqual(Election.objects.get(pk=self.other.pk).status, ElectionStatus.COMMITTEE)
        # An impossible schedule: the step named, the dates kept.
        url = reverse("elections:act", args=[self.other.pk, ElectionAction.SCHEDULE])
        response = self.client.post(
            url, {"version": other.version, Step.LIST_PUBLISHED: "2027-08-05"}, follow=True
        )
        self.assertContains(response, "未能安排日程")
        self.assertContains(response, "20 天")
        self.assertNotEqual(
            Milestone.objects.get(election=self.other, step=Step.LIST_PUBLISHED).planned_on, date(2027, 8, 5)
        )
        self.assertEqual(self.client.post(self.own_url + "act/nonsense/").status_code, 404)

    def test_a_stale_form_is_refused(self) -> None:
        self.client.force_login(self.cadre)
        url = reverse("elections:act", args=[self.own.pk, ElectionAction.FORM_COMMITTEE])
        response = self.client.post(url, {"version": self.own.version + 1}, follow=True)
        self.assertContains(response, "已被他人更新")
        self.assertEqual(Election.objects.get(pk=self.own.pk).status, ElectionStatus.PREPARING)

    def test_cadre_cannot_act_on_another_committee(self) -> None:
        self.client.force_login(self.cadre)
        url = reverse("elections:act", args=[self.other.pk, ElectionAction.FORM_COMMITTEE])
        self.assertEqual(self.client.post(url, {"version": 1}).status_code, 404)
        self.assertEqual(Election.objects.get(pk=self.other.pk).status, ElectionStatus.PREPARING)


class AdminTests(PagesBase):
    def test_read_only_lists_in_scope(self) -> None:
        User.objects.filter(pk__in=[self.admin.pk, self.world.west.users[Role.ADMIN].pk]).update(
            is_staff=True
        )
        self.client.force_login(self.admin)
        for model in (
            "electionround",
            "election",
            "objection",
            "voter",
            "candidate",
            "ballotbox",
            "count",
        ):
            with self.subTest(model=model):
                response = self.client.get(f"/admin/elections/{model}/")
                self.assertEqual(response.status_code, 200)
        page = self.client.get(f"/admin/elections/election/{self.own.pk}/change/")
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'name="_save"')
        self.assertContains(page, "选民登记开始")  # the milestones inline
        override_rule(self.admin, self.east.round, key="proxy_limit", value=2, reason="区民政局通知")
        self.assertContains(
            self.client.get(f"/admin/elections/electionround/{self.east.round.pk}/change/"), "区民政局通知"
        )
        self.assertEqual(self.client.get("/admin/elections/election/add/").status_code, 403)
        self.client.force_login(self.world.west.users[Role.ADMIN])
        self.assertNotContains(self.client.get("/admin/elections/election/"), self.own.area.name)
        self.assertEqual(self.client.get(f"/admin/elections/election/{self.own.pk}/change/").status_code, 404)
