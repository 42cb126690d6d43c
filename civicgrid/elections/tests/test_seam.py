"""The elections seam: the rules and their per-round overrides (who and why), the schedule's
checks, a round with one election per committee and its default plan, the steps of the
machine completing their milestones and the law's timing guards, scoping by committee."""

from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Action, Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, TransitionNotAllowed
from civicgrid.core.models import Event
from civicgrid.elections import schedule
from civicgrid.elections.actions.elections import ELECTION_FRAME, milestone_dates
from civicgrid.elections.actions.rounds import add_election, create_round, override_rule
from civicgrid.elections.choices import ElectionAction, ElectionStatus, Method, Step
from civicgrid.elections.models import Election, ElectionRound, Milestone, RuleOverride, Voter
from civicgrid.elections.rules import DEFAULTS, RULES, Rules, clean_value
from civicgrid.testing.elections import build_elections
from civicgrid.testing.factories import build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 6, 1, 9, 0, tzinfo=SHANGHAI)
DAY = date(2027, 8, 20)


class RulesTests(TestCase):
    def test_defaults_are_the_laws(self) -> None:
        self.assertEqual(DEFAULTS.list_days_before, 20)
        self.assertEqual((DEFAULTS.objection_days, DEFAULTS.objection_decision_days), (5, 3))
        self.assertEqual(DEFAULTS.turnout_quorum, Fraction(1, 2))
        self.assertEqual(DEFAULTS.second_round_share, Fraction(1, 3))
        self.assertEqual((DEFAULTS.voting_age, DEFAULTS.proxy_limit, DEFAULTS.term_years), (18, 3, 5))
        self.assertEqual((DEFAULTS.seats_min, DEFAULTS.seats_max), (5, 9))

    def test_values_are_cleaned_by_kind(self) -> None:
        self.assertEqual(clean_value("turnout_quorum", "2/3"), Fraction(2, 3))
        self.assertEqual(clean_value("turnout_quorum", 0.5), Fraction(1, 2))
        self.assertEqual(clean_value("proxy_limit", "2"), 2)
        for key, raw, code in (
            ("proxy_limit", "two", "invalid"),
            ("proxy_limit", True, "invalid"),
            ("turnout_quorum", "1/0", "invalid"),
            ("turnout_quorum", "3/2", "out_of_range"),
            ("voting_age", 12, "out_of_range"),
            ("nonsense", 1, "unknown"),
        ):
            with self.subTest(key=key, raw=raw), self.assertRaises(InvalidInput) as caught:
                clean_value(key, raw)
            self.assertEqual(caught.exception.fields, {key: code})

    def test_round_trip_and_consistency(self) -> None:
        self.assertEqual(DEFAULTS.with_values(DEFAULTS.as_json()), DEFAULTS)
        with self.assertRaises(InvalidInput) as caught:
            DEFAULTS.with_values({"seats_min": 9, "seats_max": 7})
        self.assertEqual(caught.exception.fields, {"rules.seats_min": "invalid"})
        self.assertEqual(set(RULES), set(Rules().as_json()))


class ScheduleTests(TestCase):
    def plan(self) -> dict[str, date]:
        return schedule.default_plan(DAY, DEFAULTS)

    def test_default_plan_passes_and_is_in_order(self) -> None:
        plan = self.plan()
        schedule.check(plan, DEFAULTS)
        self.assertEqual(list(plan), list(Step))
        self.assertEqual(sorted(plan.values()), list(plan.values()))
        self.assertGreaterEqual((DAY - plan[Step.LIST_PUBLISHED]).days, 20)

    def test_list_published_fifteen_days_before_is_refused(self) -> None:
        plan = self.plan() | {
            Step.LIST_PUBLISHED: DAY - timedelta(days=15),
            Step.REGISTRATION_CLOSED: DAY - timedelta(days=16),
        }
        with self.assertRaises(InvalidInput) as caught:
            schedule.check(plan, DEFAULTS)
        self.assertEqual(caught.exception.fields, {Step.LIST_PUBLISHED: "too_late"})
        self.assertIn("20", caught.exception.message)

    def test_exactly_twenty_days_is_enough(self) -> None:
        schedule.check(self.plan() | {Step.LIST_PUBLISHED: DAY - timedelta(days=20)}, DEFAULTS)

    def test_steps_out_of_order_are_refused(self) -> None:
        plan = self.plan() | {
            Step.REGISTRATION_CLOSED: self.plan()[Step.REGISTRATION_OPENED] - timedelta(days=1)
        }
        with self.assertRaises(InvalidInput) as caught:
            schedule.check(plan, DEFAULTS)
        self.assertEqual(caught.exception.fields, {Step.REGISTRATION_CLOSED: "order"})

    def test_objection_window_must_close_before_election_day(self) -> None:
        rules = DEFAULTS.with_values({"list_days_before": 7})
        plan = self.plan() | {
            Step.LIST_PUBLISHED: DAY - timedelta(days=8),
            Step.CANDIDATES_ANNOUNCED: DAY - timedelta(days=5),
        }
        with self.assertRaises(InvalidInput) as caught:
            schedule.check(plan, rules)
        self.assertEqual(caught.exception.fields, {Step.LIST_PUBLISHED: "objections"})

    def test_candidates_announced_too_late(self) -> None:
        with self.assertRaises(InvalidInput) as caught:
            schedule.check(self.plan() | {Step.CANDIDATES_ANNOUNCED: DAY - timedelta(days=2)}, DEFAULTS)
        self.assertEqual(caught.exception.fields, {Step.CANDIDATES_ANNOUNCED: "too_late"})

    def test_election_day_required(self) -> None:
        with self.assertRaises(InvalidInput):
            schedule.check({Step.LIST_PUBLISHED: DAY}, DEFAULTS)


@time_machine.travel(NOW, tick=False)
class RoundTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_elections(cls.world.east, day=DAY)
        cls.admin = cls.world.east.users[Role.ADMIN]

    def test_round_has_one_election_per_committee_with_the_default_plan(self) -> None:
        elections = self.east.elections
        self.assertEqual([e.area for e in elections], self.world.east.residential)
        self.assertEqual(Milestone.objects.filter(election=elections[0]).count(), len(Step))
        self.assertEqual(milestone_dates(elections[0]), schedule.default_plan(DAY, DEFAULTS))
        self.assertTrue(Event.objects.filter(app="elections", action="create").exists())

    def test_one_round_per_street_and_year(self) -> None:
        with self.assertRaises(Conflict):
            create_round(self.admin, street=self.world.east.street, name="再来", year=2027, election_day=DAY)

    def test_only_the_streets_office_organises(self) -> None:
        for user in (self.world.east.users[Role.CADRE], self.world.west.users[Role.ADMIN]):
            with self.subTest(user=user.username), self.assertRaises(Forbidden):
                create_round(user, street=self.world.east.street, name="x", year=2030, election_day=DAY)

    def test_seats_outside_the_rules_are_refused(self) -> None:
        election_round = create_round(
            self.admin,
            street=self.world.east.street,
            name="2032",
            year=2032,
            election_day=DAY,
            committees=False,
        )
        with self.assertRaises(InvalidInput) as caught:
            add_election(self.admin, election_round, area=self.world.east.residential[0], seats=11)
        self.assertEqual(caught.exception.fields, {"seats": "out_of_range"})
        election = add_election(
            self.admin, election_round, area=self.world.east.residential[0], method=Method.HOUSEHOLD
        )
        self.assertEqual((election.method, election.term_years), (Method.HOUSEHOLD, 5))

    def test_override_records_who_and_why_and_applies(self) -> None:
        election_round = ElectionRound.objects.get(pk=self.east.round.pk)
        with self.assertRaises(InvalidInput) as caught:
            override_rule(self.admin, election_round, key="proxy_limit", value=2, reason=" ")
        self.assertEqual(caught.exception.fields, {"reason": "required"})
        row = override_rule(self.admin, election_round, key="proxy_limit", value="2", reason="区民政局通知")
        self.assertEqual(
            (row.previous, row.value, row.set_by, row.reason), (3, 2, self.admin, "区民政局通知")
        )
        self.assertEqual(election_round.rules().proxy_limit, 2)
        override_rule(self.admin, election_round, key="turnout_quorum", value="2/3", reason="试点")
        self.assertEqual(election_round.rules().turnout_quorum, Fraction(2, 3))
        self.assertEqual(RuleOverride.objects.filter(round=election_round).count(), 2)
        # Back to the street's value: the override is gone, the history stays.
        override_rule(self.admin, election_round, key="proxy_limit", value=3, reason="恢复")
        self.assertNotIn("proxy_limit", ElectionRound.objects.get(pk=election_round.pk).rule_values)
        self.assertEqual(RuleOverride.objects.filter(round=election_round).count(), 3)

    def test_override_that_breaks_a_schedule_is_refused(self) -> None:
        with self.assertRaises(InvalidInput) as caught:
            override_rule(self.admin, self.east.round, key="list_days_before", value=30, reason="更早公布")
        self.assertEqual(caught.exception.fields, {"value": "schedule"})
        self.assertNotIn("list_days_before", ElectionRound.objects.get(pk=self.east.round.pk).rule_values)

    def test_cadre_sees_only_their_committee(self) -> None:
        cadre = self.world.east.users[Role.CADRE]
        self.assertEqual(list(Election.objects.restrict(cadre, Action.VIEW)), [self.east.election])
        self.assertEqual(Voter.objects.restrict(cadre, Action.VIEW).count(), 3)
        self.assertEqual(Election.objects.restrict(self.world.west.users[Role.ADMIN], Action.VIEW).count(), 0)
        self.assertEqual(
            Election.objects.restrict(self.world.east.users[Role.LEADER], Action.VIEW).count(), 2
        )
        self.assertEqual(
            Election.objects.restrict(self.world.east.users[Role.DISPATCHER], Action.VIEW).count(), 0
        )


class MachineTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(NOW, tick=False):
            cls.east = build_elections(cls.world.east, day=DAY)
        cls.cadre = cls.world.east.users[Role.CADRE]
        cls.admin = cls.world.east.users[Role.ADMIN]

    def run_action(self, action: str, user=None, **params):  # type: ignore[no-untyped-def]
        return ELECTION_FRAME.run(self.east.election.pk, action, user or self.cadre, params)

    def test_steps_complete_their_milestones(self) -> None:
        with time_machine.travel(NOW, tick=False):
            election = self.run_action(ElectionAction.FORM_COMMITTEE, note="张贴公告")
            self.assertEqual(election.status, ElectionStatus.COMMITTEE)
            self.assertEqual(election.milestones.get(step=Step.COMMITTEE_FORMED).done_on, NOW.date())
            election = self.run_action(ElectionAction.DIVIDE_GROUPS)
            election = self.run_action(ElectionAction.OPEN_REGISTRATION)
            election = self.run_action(ElectionAction.CLOSE_REGISTRATION)
            self.assertEqual(election.status, ElectionStatus.REGISTERED)
        # 15 days before election day: too late to publish the list.
        with time_machine.travel(datetime(2027, 8, 5, 9, 0, tzinfo=SHANGHAI), tick=False):
            with self.assertRaises(TransitionNotAllowed) as caught:
                self.run_action(ElectionAction.PUBLISH_LIST)
            self.assertIn("20", str(caught.exception))
        with time_machine.travel(datetime(2027, 7, 30, 9, 0, tzinfo=SHANGHAI), tick=False):
            election = self.run_action(ElectionAction.PUBLISH_LIST)
            self.assertEqual(election.status, ElectionStatus.LISTED)
            # A pending objection and only two candidates for five seats: not yet.
            with self.assertRaises(TransitionNotAllowed) as caught:
                self.run_action(ElectionAction.ANNOUNCE_CANDIDATES)
            self.assertIn("申诉", str(caught.exception))

    def test_schedule_refuses_an_impossible_plan_and_keeps_done_steps(self) -> None:
        with time_machine.travel(NOW, tick=False):
            with self.assertRaises(InvalidInput) as caught:
                self.run_action(
                    ElectionAction.SCHEDULE, self.admin, election_day=str(DAY - timedelta(days=10))
                )
            self.assertIn(
                next(iter(caught.exception.fields)),
                {Step.LIST_PUBLISHED, Step.CANDIDATES_ANNOUNCED, Step.ELECTION_DAY, Step.RESULTS_ANNOUNCED},
            )
            later = DAY + timedelta(days=7)
            election = self.run_action(
                ElectionAction.SCHEDULE,
                self.admin,
                election_day=str(later),
                results_announced=str(later),
                results_reported=str(later + timedelta(days=3)),
            )
            self.assertEqual(election.election_day, later)
            with self.assertRaises(Forbidden):
                self.run_action(ElectionAction.SCHEDULE, self.cadre, election_day=str(later))

    def test_defer_and_resume_return_to_the_step(self) -> None:
        with time_machine.travel(NOW, tick=False):
            self.run_action(ElectionAction.FORM_COMMITTEE)
            with self.assertRaises(InvalidInput):
                self.run_action(ElectionAction.DEFER, self.admin)
            election = self.run_action(ElectionAction.DEFER, self.admin, note="列入旧区改造范围")
            self.assertEqual(election.status, ElectionStatus.DEFERRED)
            election = self.run_action(ElectionAction.RESUME, self.admin, note="区政府批复恢复")
            self.assertEqual(election.status, ElectionStatus.COMMITTEE)
