"""The demo's representatives' proposals (demo/programmes/proposals.py), played on one street
of the test world with its session and representatives made like the demo's meeting: numbers,
co-signers, a merge, a decline, answers on time and late, open overdue ones and the 不满意
one assigned again — all through the actions, every date before the load day."""

from collections import Counter
from datetime import date, datetime, timedelta

import time_machine
from django.test import TestCase

from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.core.models import Event
from civicgrid.demo.programmes import StreetPlan, at
from civicgrid.demo.programmes import proposals as demo
from civicgrid.programmes import reports
from civicgrid.programmes.actions import sessions
from civicgrid.programmes.choices import ProposalStatus, Rating, SessionKind
from civicgrid.programmes.models import Proposal
from civicgrid.testing.factories import StreetWorld, build_world

TODAY = date(2027, 6, 30)


def plan_for(world: StreetWorld) -> StreetPlan:
    admin = world.users[Role.ADMIN]
    plan = StreetPlan(
        street=world.street,
        users=world.users,
        areas=world.residential,
        units=[world.unit] if world.unit else [],
        today=TODAY,
    )
    held = TODAY - timedelta(days=60)
    with clock.at(at(held - timedelta(days=20))):
        for n in range(6):
            plan.representatives.append(
                sessions.add_representative(
                    admin,
                    street=world.street,
                    name=f"代表{n}",
                    term_from=date(2026, 1, 1),
                    area=world.residential[0],
                )
            )
        plan.session = sessions.create_session(
            admin,
            street=world.street,
            kind=SessionKind.RESIDENTS,
            title="第三届居民代表会议第二次会议",
            held_on=held,
            proposals_until=held + timedelta(days=7),
        )
    return plan


@time_machine.travel(datetime(2027, 6, 30, 8, 0), tick=False)
class DemoProposalsTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        world = build_world()
        with time_machine.travel(datetime(2027, 6, 30, 8, 0), tick=False):
            cls.plan = plan_for(world.east)
            cls.made = demo.load(cls.plan)
            cls.west_made = demo.load(plan_for(world.west))
        cls.proposals = list(Proposal.objects.filter(session=cls.plan.session).order_by("number"))

    def test_filed_numbered_with_cosigners(self) -> None:
        self.assertTrue(12 <= self.made == len(self.proposals) <= 20)
        self.assertEqual([p.number for p in self.proposals], list(range(1, self.made + 1)))
        for proposal in self.proposals:
            signers = set(proposal.cosigners.values_list("pk", flat=True))
            self.assertGreaterEqual(len(signers), 1)
            self.assertNotIn(proposal.proposer_id, signers)
        self.assertTrue(12 <= self.west_made <= 20)  # another street, its own seed

    def test_outcomes_like_seed_003(self) -> None:
        statuses = Counter(p.status for p in self.proposals)
        self.assertEqual(statuses[ProposalStatus.MERGED], 2)
        self.assertEqual(statuses[ProposalStatus.DECLINED], 1)
        self.assertEqual(statuses[ProposalStatus.ASSIGNED], 2)  # open past their deadline
        declined = next(p for p in self.proposals if p.status == ProposalStatus.DECLINED)
        self.assertIn("业主大会", declined.decline_reason)
        figures = reports.handling(Proposal.objects.filter(session=self.plan.session), TODAY)
        self.assertEqual(figures["overdue"], 2)
        self.assertGreaterEqual(figures["late"], 1)
        self.assertGreater(figures["on_time"], figures["late"])
        ratings = Counter(p.rating for p in self.proposals if p.rating)
        self.assertGreater(ratings[Rating.SATISFIED], ratings[Rating.BASIC])
        self.assertEqual(ratings[Rating.UNSATISFIED], 0)  # the one 不满意 was assigned again
        reassigned = Event.objects.filter(app="programmes", object_type="proposal", action="reassign")
        self.assertEqual(reassigned.filter(street_id=self.plan.street.pk).count(), 1)
        self.assertTrue(any(p.assigned_unit_id for p in self.proposals))
        self.assertTrue(any(p.assigned_office for p in self.proposals))

    def test_everything_before_the_load_day(self) -> None:
        events = Event.objects.filter(app="programmes", object_type="proposal")
        self.assertFalse(events.filter(at__date__gte=TODAY).exists())
        for proposal in self.proposals:
            for day in (proposal.assigned_on, proposal.answered_on, proposal.rated_on):
                self.assertTrue(day is None or day < TODAY)
