"""The democratic evaluation's actions: set-up, codes, the anonymous ballot (THE anonymity
test: nothing stored links a mark to a voter, and the counters do not depend on the order of
the ballots), one vote per code (also two at once), refusals, paper ballots and the tally."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput
from civicgrid.core.models import AuditLog, Event
from civicgrid.profiles.actions import save_profile
from civicgrid.programmes import ballot_codes
from civicgrid.programmes.actions.evaluations import (
    CODE_REFUSED,
    EVALUATION_FRAME,
    add_subject,
    cast_ballot,
    create_evaluation,
    issue_codes,
    record_paper_ballots,
    remove_subject,
)
from civicgrid.programmes.choices import EvaluationStatus, Mark
from civicgrid.programmes.models import Evaluation, EvaluationCount, EvaluationVoter, Representative
from civicgrid.programmes.tally import tally
from civicgrid.testing.factories import build_world
from civicgrid.testing.programmes import build_programmes

NOW = datetime(2027, 3, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
G, F, P, U = Mark.GOOD, Mark.FAIR, Mark.POOR, Mark.UNKNOWN


def codes(evaluation: Evaluation) -> list[str]:
    voters = EvaluationVoter.objects.filter(evaluation=evaluation).order_by("representative__name")
    return [ballot_codes.derive(evaluation.pk, v.representative_id) for v in voters]


def prepared(world, programmes, title="测评", open_it=True) -> Evaluation:  # type: ignore[no-untyped-def]
    admin = world.east.users[Role.ADMIN]
    evaluation = create_evaluation(
        admin,
        session=programmes.session,
        title=title,
        subjects=[
            {"name": "社区管理办"},
            {"name": "社区服务办"},
            {"name": "平安办", "unit": world.east.unit},
        ],
    )
    for i in range(3):
        Representative.objects.get_or_create(street=world.east.street, name=f"代表{i}", term_from=NOW.date())
    assert issue_codes(admin, evaluation) == 6
    if open_it:
        EVALUATION_FRAME.run(evaluation.pk, "open", admin)
    evaluation.refresh_from_db()
    return evaluation


def ballot(evaluation: Evaluation, *marks: str) -> dict[int, str]:
    subjects = list(evaluation.subjects.order_by("order"))
    return {s.pk: m for s, m in zip(subjects, marks, strict=True)}


class Base(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(NOW, tick=False):
            cls.east = build_programmes(cls.world.east)
        cls.admin = cls.world.east.users[Role.ADMIN]

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)


class SetupTests(Base):
    def test_draft_with_subjects_and_codes(self) -> None:
        evaluation = prepared(self.world, self.east, open_it=False)
        self.assertEqual(evaluation.status, EvaluationStatus.DRAFT)
        self.assertEqual(
            list(evaluation.subjects.values_list("name", "order")),
            [("社区管理办", 1), ("社区服务办", 2), ("平安办", 3)],
        )
        # The stored digest is the derived code's; the code itself is nowhere.
        voter = evaluation.voters.first()
        code = ballot_codes.derive(evaluation.pk, voter.representative_id)
        self.assertEqual(voter.code_digest, ballot_codes.digest(code))
        self.assertEqual(len(code), 10)
        self.assertFalse(set(code) & set("0O1I"))
        # Issuing again makes nobody twice.
        self.assertEqual(issue_codes(self.admin, evaluation), 0)

    def test_subjects_only_while_draft_and_only_by_the_desk(self) -> None:
        evaluation = prepared(self.world, self.east, open_it=False)
        subject = add_subject(self.admin, evaluation, name="社区自治办")
        with self.assertRaises(InvalidInput) as caught:
            add_subject(self.admin, evaluation, name="社区自治办")
        self.assertEqual(caught.exception.fields, {"name": "duplicate"})
        remove_subject(self.admin, evaluation, subject)
        self.assertEqual(evaluation.subjects.count(), 3)
        with self.assertRaises(Forbidden):
            add_subject(self.world.east.users[Role.CADRE], evaluation, name="x")
        with self.assertRaises(InvalidInput):
            add_subject(self.admin, evaluation, name="x", unit=self.world.west.unit)
        EVALUATION_FRAME.run(evaluation.pk, "open", self.admin)
        with self.assertRaises(Conflict):
            add_subject(self.admin, evaluation, name="社区自治办")

    def test_another_street_cannot_touch_it(self) -> None:
        evaluation = prepared(self.world, self.east, open_it=False)
        from civicgrid.core.errors import NotFound

        with self.assertRaises(NotFound):
            issue_codes(self.world.west.users[Role.ADMIN], evaluation)


class BallotTests(Base):
    def test_a_ballot_counts_once(self) -> None:
        evaluation = prepared(self.world, self.east)
        code = codes(evaluation)[0]
        cast_ballot(ballot_codes.spaced(code).lower(), ballot(evaluation, G, F, U))
        with self.assertRaises(Conflict) as caught:
            cast_ballot(code, ballot(evaluation, P, P, P))
        self.assertEqual(caught.exception.message, str(CODE_REFUSED))
        evaluation.refresh_from_db()
        self.assertEqual(evaluation.ballots, 1)
        counts = {(c.subject.name, c.mark): c.count for c in evaluation.counts.filter(count__gt=0)}
        self.assertEqual(counts, {("社区管理办", G): 1, ("社区服务办", F): 1, ("平安办", U): 1})

    def test_unknown_code_and_closed_evaluation_read_alike(self) -> None:
        evaluation = prepared(self.world, self.east)
        messages = []
        for code in ("NOSUCHCODE", "ABCDEFGHJK", "", "x" * 500):
            with self.assertRaises(Conflict) as caught:
                cast_ballot(code, ballot(evaluation, G, G, G))
            messages.append(caught.exception.message)
        EVALUATION_FRAME.run(evaluation.pk, "close", self.admin)
        with self.assertRaises(Conflict) as caught:
            cast_ballot(codes(evaluation)[0], ballot(evaluation, G, G, G))
        messages.append(caught.exception.message)
        self.assertEqual(set(messages), {str(CODE_REFUSED)})
        draft = prepared(self.world, self.east, title="草稿", open_it=False)
        with self.assertRaises(Conflict):
            cast_ballot(codes(draft)[0], ballot(draft, G, G, G))

    def test_incomplete_ballot_names_the_subject_and_keeps_the_code(self) -> None:
        evaluation = prepared(self.world, self.east)
        code = codes(evaluation)[0]
        marks = ballot(evaluation, G, G, G)
        second = evaluation.subjects.get(order=2)
        del marks[second.pk]
        with self.assertRaises(InvalidInput) as caught:
            cast_ballot(code, marks)
        self.assertIn("社区服务办", caught.exception.message)
        self.assertEqual(caught.exception.fields, {f"subject_{second.pk}": "required"})
        with self.assertRaises(InvalidInput):
            cast_ballot(code, {**marks, second.pk: "excellent"})
        with self.assertRaises(InvalidInput):
            cast_ballot(code, {**marks, second.pk: G, self.east.subject.pk: G})
        cast_ballot(code, {**marks, second.pk: G})  # still unused

    def test_nothing_links_a_mark_to_a_voter(self) -> None:
        evaluation = prepared(self.world, self.east)
        audits, events = AuditLog.objects.count(), Event.objects.count()
        cast = list(zip(codes(evaluation), [(G, G, P), (F, P, U), (G, F, G)], strict=False))
        for code, marks in cast:
            cast_ballot(code, ballot(evaluation, *marks))
        # The tables hold nothing more than these columns: no ballot id, no time, no mark.
        self.assertEqual(
            {f.name for f in EvaluationVoter._meta.concrete_fields},
            {"id", "evaluation", "street", "representative", "code_digest", "voted"},
        )
        self.assertEqual(
            {f.name for f in EvaluationCount._meta.concrete_fields},
            {"id", "evaluation", "subject", "street", "mark", "source", "count"},
        )
        ballot_models = {EvaluationVoter, EvaluationCount}
        for field in Evaluation._meta.get_fields():
            self.assertNotIn(getattr(field, "related_model", None), ballot_models - {field.related_model})
        # Voting wrote no audit row at all, and events only on the evaluation, with no actor.
        self.assertEqual(AuditLog.objects.count(), audits)
        new = Event.objects.order_by("id")[events:]
        self.assertEqual(len(new), 3)
        for event in new:
            self.assertEqual((event.object_type, event.object_id), ("evaluation", evaluation.pk))
            self.assertEqual(
                (event.actor_id, event.action, event.payload), (None, "ballot", {"source": "web"})
            )
        voters = EvaluationVoter.objects.filter(evaluation=evaluation)
        self.assertEqual(sorted(voters.values_list("voted", flat=True)), [False] * 3 + [True] * 3)
        for voter in voters:  # only the digest and the flag, the same for every voter who voted
            self.assertEqual(len(voter.code_digest), 64)

    def test_the_counters_do_not_depend_on_the_order(self) -> None:
        marks = [(G, G, P), (F, P, U), (G, F, G), (P, U, F)]

        def run(title: str, order: list[int]) -> list[tuple[int, str, str, int, int]]:
            evaluation = prepared(self.world, self.east, title=title)
            voters = codes(evaluation)
            for i in order:
                cast_ballot(voters[i], ballot(evaluation, *marks[i]))
            first = EvaluationCount.objects.filter(evaluation=evaluation).order_by("id").first()
            return [
                (c.subject.order, c.mark, c.source, c.count, c.pk - first.pk)
                for c in EvaluationCount.objects.filter(evaluation=evaluation).order_by("id")
            ]

        self.assertEqual(run("一", [0, 1, 2, 3]), run("二", [3, 1, 0, 2]))


class PaperAndTallyTests(Base):
    def test_paper_ballots_must_add_up(self) -> None:
        evaluation = prepared(self.world, self.east)
        first, second, third = evaluation.subjects.order_by("order")
        good = {first.pk: {G: 2}, second.pk: {G: 1, F: 1}, third.pk: {U: 2}}
        with self.assertRaises(InvalidInput) as caught:
            record_paper_ballots(self.admin, evaluation, ballots=2, counts={**good, second.pk: {G: 1}})
        self.assertIn("社区服务办", caught.exception.message)
        self.assertEqual(caught.exception.fields, {f"subject_{second.pk}": "sum"})
        with self.assertRaises(InvalidInput):
            record_paper_ballots(self.admin, evaluation, ballots=7, counts=good)  # 6 voters
        with self.assertRaises(InvalidInput):
            record_paper_ballots(self.admin, evaluation, ballots="two", counts=good)
        with self.assertRaises(InvalidInput):
            record_paper_ballots(self.admin, evaluation, ballots=2, counts={**good, first.pk: {G: 3, P: -1}})
        with self.assertRaises(Forbidden):
            record_paper_ballots(self.world.east.users[Role.LEADER], evaluation, ballots=2, counts=good)
        record_paper_ballots(self.admin, evaluation, ballots=2, counts=good)
        evaluation.refresh_from_db()
        self.assertEqual(evaluation.ballots, 2)
        event = Event.objects.filter(object_type="evaluation", action="paper_ballots").get()
        self.assertEqual(event.actor_id, self.admin.pk)

    def test_close_tallies_and_publish(self) -> None:
        save_profile(self.world.east.street, self.admin, {"programmes.evaluation_pass_percent": 75})
        evaluation = prepared(self.world, self.east)
        voters = codes(evaluation)
        for code, marks in zip(voters, [(G, P, U), (G, P, U), (F, G, U), (P, G, U)], strict=False):
            cast_ballot(code, ballot(evaluation, *marks))
        first, second, third = evaluation.subjects.order_by("order")
        record_paper_ballots(
            self.admin,
            evaluation,
            ballots=1,
            counts={first.pk: {G: 1}, second.pk: {G: 1}, third.pk: {U: 1}},
        )
        EVALUATION_FRAME.run(evaluation.pk, "close", self.admin, {"note": "计票完毕"})
        evaluation.refresh_from_db()
        result = evaluation.result
        self.assertEqual((result["ballots"], result["voters"], result["turnout"]), (5, 6, 0.8333))
        self.assertEqual(result["pass_percent"], 75)
        rows = [
            (s["name"], s["good"], s["fair"], s["poor"], s["unknown"], s["rate"], s["passed"])
            for s in result["subjects"]
        ]
        self.assertEqual(
            rows,
            [
                ("社区管理办", 3, 1, 1, 0, 0.8, True),
                ("社区服务办", 3, 0, 2, 0, 0.6, False),
                ("平安办", 0, 0, 0, 5, None, False),
            ],
        )
        EVALUATION_FRAME.run(evaluation.pk, "publish", self.admin)
        evaluation.refresh_from_db()
        self.assertEqual(evaluation.status, EvaluationStatus.PUBLISHED)


def test_tally_ranks_by_rate_and_leaves_out_unknown() -> None:
    result = tally(
        [(1, "甲"), (2, "乙"), (3, "丙"), (4, "丁")],
        {1: {G: 1, F: 1, P: 2, U: 10}, 2: {G: 9, P: 1}, 3: {U: 3}, 4: {G: 1, F: 1, P: 2}},
        ballots=14,
        voters=20,
        pass_percent=80,
    )
    rows = [(s["name"], s["rate"], s["passed"]) for s in result["subjects"]]
    assert rows == [("乙", 0.9, True), ("甲", 0.5, False), ("丁", 0.5, False), ("丙", None, False)]
    assert result["turnout"] == 0.7
    assert tally([(1, "甲")], {1: {G: 4, P: 1}}, ballots=5, voters=0, pass_percent=80)["subjects"][0][
        "passed"
    ]


@pytest.mark.django_db(transaction=True)
def test_two_uses_of_one_code_at_once_exactly_one_counts() -> None:
    world = build_world()
    with time_machine.travel(NOW, tick=False):
        east = build_programmes(world.east)
        evaluation = prepared(world, east)
    code = codes(evaluation)[0]
    marks = ballot(evaluation, G, G, G)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            barrier.wait()
            cast_ballot(code, marks)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("refused")
        except Exception as exc:  # anything else is a bug: the assertion shows it
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 3
    evaluation.refresh_from_db()
    assert evaluation.ballots == 1
    assert sum(evaluation.counts.values_list("count", flat=True)) == 3
