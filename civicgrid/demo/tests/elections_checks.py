"""The demo's residents' committee elections (demo/elections.py), as checks the demo test class
without cases runs after its one load_demo (test_demo_without_cases.py); every date relative to
the load day."""

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count as Counted

from civicgrid.core.models import Event
from civicgrid.elections import checks
from civicgrid.elections.choices import (
    DIRECT_METHODS,
    BoxKind,
    ElectionStatus,
    MailingKind,
    Method,
    ObjectionStatus,
    Step,
)
from civicgrid.elections.models import Election, ElectionRound, Milestone, Proxy
from civicgrid.elections.statistics import street_statistics
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area


class ElectionsDemoChecks:
    assertEqual: Any
    assertFalse: Any
    assertGreater: Any
    assertGreaterEqual: Any
    assertLess: Any
    assertLessEqual: Any
    assertTrue: Any
    load_day: dt.date
    rounds: list[ElectionRound]

    @classmethod
    def set_up_demo_checks(cls) -> None:
        cls.rounds = list(ElectionRound.objects.select_related("street"))

    def test_every_street_has_a_round_with_every_committee(self) -> None:
        streets = Area.objects.filter(kind=AreaKind.STREET)
        self.assertEqual({r.street_id for r in self.rounds}, set(streets.values_list("pk", flat=True)))
        for election_round in self.rounds:
            areas = Area.objects.filter(parent=election_round.street, kind=AreaKind.RESIDENTIAL)
            self.assertEqual(
                set(election_round.elections.values_list("area_id", flat=True)),
                set(areas.values_list("pk", flat=True)),
            )
            self.assertEqual(election_round.year, self.load_day.year)

    def test_methods_mixed_like_seed_001(self) -> None:
        methods = Counter(Election.objects.values_list("method", flat=True))
        direct = sum(n for method, n in methods.items() if method in DIRECT_METHODS)
        self.assertGreater(methods[Method.REPRESENTATIVE], 0)
        self.assertGreater(methods[Method.HOUSEHOLD], 0)
        self.assertGreater(direct, 3 * methods[Method.REPRESENTATIVE])

    def test_committees_stand_at_different_steps(self) -> None:
        for election_round in self.rounds:
            statuses = set(election_round.elections.values_list("status", flat=True))
            self.assertTrue(
                {
                    ElectionStatus.REPORTED,
                    ElectionStatus.NOMINATED,
                    ElectionStatus.LISTED,
                    ElectionStatus.DEFERRED,
                }
                <= statuses,
                election_round.street.name,
            )
            self.assertGreaterEqual(len(statuses), 7)
        # Nothing done in the future; every done step of a running election on or before today.
        self.assertFalse(Milestone.objects.filter(done_on__gt=self.load_day).exists())
        self.assertFalse(Event.objects.filter(app="elections", at__date__gt=self.load_day).exists())
        # An election at a step has done the steps before it, on their planned days.
        listed = Election.objects.filter(status=ElectionStatus.LISTED).first()
        assert listed is not None
        done = dict(listed.milestones.exclude(done_on=None).values_list("step", "done_on"))
        self.assertEqual(
            set(done),
            {
                Step.COMMITTEE_FORMED,
                Step.GROUPS_DIVIDED,
                Step.REGISTRATION_OPENED,
                Step.REGISTRATION_CLOSED,
                Step.LIST_PUBLISHED,
            },
        )
        self.assertTrue(listed.objections.filter(status=ObjectionStatus.PENDING).exists())
        deferred = Election.objects.filter(status=ElectionStatus.DEFERRED).first()
        assert deferred is not None
        self.assertEqual(deferred.deferred_from, ElectionStatus.COMMITTEE)

    def test_one_finished_election_per_street_with_its_results(self) -> None:
        for election_round in self.rounds:
            finished = election_round.elections.get(status=ElectionStatus.REPORTED)
            name = election_round.street.name
            # The register from the registry, with its letters and notices.
            self.assertGreater(checks.electorate(finished).count(), 20, name)
            mailings = {m.kind: m for m in finished.mailings.all()}
            self.assertEqual(set(mailings), {MailingKind.LETTER, MailingKind.NOTICE}, name)
            notice = mailings[MailingKind.NOTICE]
            self.assertTrue(0 < notice.receipts < notice.sent, name)
            self.assertFalse(finished.objections.filter(status=ObjectionStatus.PENDING).exists())
            # Proxies within the limit, boxes of every kind the street used, a valid count.
            per_proxy = Proxy.objects.filter(election=finished).values("proxy").annotate(n=Counted("pk"))
            self.assertTrue(per_proxy, name)
            self.assertLessEqual(max(row["n"] for row in per_proxy), finished.round.rules().proxy_limit)
            kinds = set(finished.boxes.values_list("kind", flat=True))
            self.assertEqual(kinds, {BoxKind.HALL, BoxKind.MOBILE, BoxKind.PROXY}, name)
            count = finished.counts.get()
            self.assertTrue(count.valid, name)
            self.assertEqual(count.outcome, "elected", name)
            self.assertEqual(finished.members.count(), finished.seats, name)
            self.assertTrue(finished.candidates.filter(is_write_in=True).exists())
            done = dict(finished.milestones.values_list("step", "done_on"))
            self.assertEqual(done[Step.ELECTION_DAY], finished.election_day)
            reported = done[Step.RESULTS_REPORTED]
            assert reported is not None
            self.assertLess(reported, self.load_day)

    def test_statistics_of_the_demo(self) -> None:
        for election_round in self.rounds:
            figures = street_statistics(election_round.created_by, election_round)
            finished = election_round.elections.get(status=ElectionStatus.REPORTED)
            self.assertEqual(len(figures.committees), election_round.elections.count())
            self.assertEqual(figures.members.total, finished.seats)
            rate = figures.turnout.rate
            assert rate is not None
            self.assertGreater(rate, 0.5)
            self.assertGreater(figures.contested.part, figures.contested.whole)
            self.assertGreater(figures.mailings.notices, 0)
