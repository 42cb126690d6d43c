"""The demo's democratic evaluation (demo/programmes/evaluations.py): the demo's streets, units
and accounts with a small registry (the representatives are registered persons), then only the
programmes — no cases, inspections or elections — once for the class."""

from django.db.models import Sum
from django.test import TestCase, override_settings

from civicgrid import celery
from civicgrid.core.models import Event
from civicgrid.demo.builder import build_plan, load_plan
from civicgrid.demo.programmes import load_programmes
from civicgrid.demo.residents import load_registry
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.programmes.choices import BallotSource, EvaluationStatus
from civicgrid.programmes.models import Evaluation

from . import parts

PER_STREET = 300


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class DemoEvaluationsTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        with celery.in_process():
            plan = build_plan()
            load_plan(plan)
            load_registry(plan, PER_STREET)
            cls.made = load_programmes(plan)
        parts.settle()
        cls.evaluations = list(Evaluation.objects.select_related("session"))

    def test_every_street_published_an_evaluation(self) -> None:
        streets = set(Area.objects.filter(kind=AreaKind.STREET).values_list("pk", flat=True))
        self.assertEqual({e.street_id for e in self.evaluations}, streets)
        for evaluation in self.evaluations:
            self.assertEqual(evaluation.status, EvaluationStatus.PUBLISHED)
            self.assertTrue(6 <= evaluation.subjects.count() <= 8)

    def test_most_voted_on_the_web_some_on_paper_and_the_tally_adds_up(self) -> None:
        for evaluation in self.evaluations:
            voters = evaluation.voters.count()
            web = evaluation.voters.filter(voted=True).count()
            self.assertAlmostEqual(web / voters, 0.8, delta=0.1)
            paper = evaluation.counts.filter(source=BallotSource.PAPER)
            self.assertTrue(paper.exists())
            result = evaluation.result
            self.assertEqual(result["ballots"], evaluation.ballots)
            self.assertLessEqual(evaluation.ballots, voters)
            for row in result["subjects"]:
                total = row["good"] + row["fair"] + row["poor"] + row["unknown"]
                self.assertEqual(total, evaluation.ballots)
            rates = [r["rate"] for r in result["subjects"] if r["rate"] is not None]
            self.assertEqual(rates, sorted(rates, reverse=True))
            good = evaluation.counts.filter(mark="good").aggregate(n=Sum("count"))["n"]
            poor = evaluation.counts.filter(mark="poor").aggregate(n=Sum("count"))["n"]
            self.assertGreater(good, 3 * poor)  # mostly 满意

    def test_ballots_are_anonymous_events_before_the_close(self) -> None:
        for evaluation in self.evaluations:
            ballots = Event.objects.filter(object_type="evaluation", object_id=evaluation.pk, action="ballot")
            self.assertEqual(ballots.count(), evaluation.voters.filter(voted=True).count())
            self.assertFalse(ballots.exclude(actor_id=None).exists())
            closed = Event.objects.get(object_type="evaluation", object_id=evaluation.pk, action="close")
            self.assertTrue(all(e.at < closed.at for e in ballots))
