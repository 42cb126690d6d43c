"""知情考试: the reproducible draw, the answer and its comparison item by item, grading and
the suggested grade, the re-check round, the machine's order, and what each reader sees."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import TestCase

from civicgrid.accounts.models import User
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TransitionNotAllowed
from civicgrid.core.models import Event, PersonalDataAccess
from civicgrid.residents import care, exams
from civicgrid.residents.actions import exams as actions
from civicgrid.residents.choices import Employment, ExamStatus, RoundKind
from civicgrid.residents.models import Exam, Flat, Household, Person
from civicgrid.testing.factories import build_world
from civicgrid.testing.residents import build_registry

MOMENT = datetime(2026, 11, 20, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_suggested_grade() -> None:
    assert exams.suggested_grade(0, 0) is None
    assert exams.suggested_grade(19, 20) == 1  # 95%
    assert exams.suggested_grade(18, 20) == 2  # 90%
    assert exams.suggested_grade(17, 20) == 2  # 85%
    assert exams.suggested_grade(14, 20) == 3  # 70%
    assert exams.suggested_grade(10, 20) == 4  # 50%
    assert exams.suggested_grade(9, 20) == 5


def test_sample_is_reproducible() -> None:
    pks = list(range(1, 101))
    assert exams.sample(pks, 10, 42) == exams.sample(pks, 10, 42)
    assert len(set(exams.sample(pks, 10, 42))) == 10
    # A new seed gives another draw (for these seeds; in general "usually").
    assert exams.sample(pks, 10, 42) != exams.sample(pks, 10, 43)
    assert exams.sample([3, 1, 2], 10, 42) == [3, 1, 2]  # fewer than N: all of them


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("王秀英", "王 秀英", True), ("王秀英", "王\u3000秀英 ", True), ("王秀英", "王秀", False)],
)
def test_names_match_tolerant_of_spaces(a: str, b: str, same: bool) -> None:
    assert exams.same_name(a, b) is same


class ExamTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        with time_machine.travel(MOMENT, tick=False):
            cls.world = build_world()
            cls.reg = build_registry(cls.world.east)
            east = cls.world.east
            # More households in the cadre's area (its two buildings), so the draw has a choice.
            for n, building in enumerate(east.buildings[:2] * 10):
                flat = Flat.objects.create(building=building, street_id=east.street.pk, room=f"9{n:02d}")
                Household.objects.create(flat=flat, street_id=east.street.pk, moved_in=date(2020, 1, 1))
            cls.admin = east.users[Role.ADMIN]
            cls.cadre = east.users[Role.CADRE]
            cls.round = actions.create_round(
                cls.admin, street=east.street, name="2026年知情考试", sample_size=5
            )

    def setUp(self) -> None:
        self.clock = time_machine.travel(MOMENT, tick=False)
        self.clock.start()
        self.addCleanup(self.clock.stop)

    def draw(self, **kwargs: Any) -> Exam:
        return actions.draw(self.admin, self.round, self.cadre, **kwargs)

    def answer(self, exam: Exam, answers: list[dict[str, Any]], user: Any = None) -> Exam:
        return actions.FRAME.run(exam.pk, "answer", user or self.cadre, {"answers": answers})

    # -------------------------------------------------------------------- the draw

    def test_draw_records_seed_and_population_and_redraws_the_same(self) -> None:
        exam = self.draw()
        area = self.world.east.residential[0]
        self.assertEqual(exam.area, area)
        self.assertEqual(exam.population, 23)  # the registry's 3 + 20 in the cadre's area
        drawn = list(exam.items.order_by("position").values_list("household_id", flat=True))
        self.assertEqual(len(drawn), 5)
        self.assertNotIn(self.reg.other_household.pk, drawn)  # outside her area
        self.assertEqual(exams.redraw(exam), drawn)
        # Households added after the draw leave the redraw alone.
        flat = Flat.objects.create(building=self.world.east.buildings[0], street_id=exam.street_id, room="X1")
        with time_machine.travel(datetime(2026, 11, 21, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
            Household.objects.create(flat=flat, street_id=exam.street_id, moved_in=date(2020, 1, 1))
            self.assertEqual(exams.redraw(exam), drawn)
        # Another seed over the same population gives another draw.
        pks = list(exams.population(area, MOMENT.date(), MOMENT).values_list("pk", flat=True))
        self.assertEqual(exams.sample(pks, 5, exam.seed), drawn)
        # (The seed is new on every run: a few neighbours make "usually" certain enough.)
        self.assertTrue(any(exams.sample(pks, 5, exam.seed + k) != drawn for k in range(1, 4)))
        self.assertTrue(Event.objects.filter(action="exam_draw", object_id=str(exam.pk)).exists())

    def test_draw_from_one_grid_and_fewer_than_n_takes_all(self) -> None:
        grid = self.world.east.grids[1]  # the second building of her area: 10 households
        round_ = actions.create_round(
            self.admin, street=self.world.east.street, name="小样本", sample_size=50
        )
        exam = actions.draw(self.admin, round_, self.cadre, grid)
        self.assertEqual(exam.population, 10)
        self.assertEqual(exam.items.count(), 10)
        self.assertEqual(
            exams.redraw(exam), list(exam.items.order_by("position").values_list("household_id", flat=True))
        )

    def test_draw_refusals(self) -> None:
        east = self.world.east
        with self.assertRaises(InvalidInput) as ctx:
            actions.draw(self.admin, self.round, east.users[Role.GRID_WORKER])
        self.assertEqual(ctx.exception.fields, {"cadre": "invalid"})
        with self.assertRaises(InvalidInput) as ctx:
            self.draw(area=east.residential[1])  # not her area
        self.assertEqual(ctx.exception.fields, {"area": "invalid"})
        with self.assertRaises(InvalidInput):
            actions.draw(self.admin, self.round, self.world.west.users[Role.CADRE])
        self.draw()
        with self.assertRaises(Conflict):
            self.draw()
        # Only examiners draw; another street's examiner does not find the round.
        with self.assertRaises(NotFound):
            actions.draw(self.cadre, self.round, self.cadre)
        with self.assertRaises(NotFound):
            actions.draw(self.world.west.users[Role.ADMIN], self.round, self.cadre)

    def test_round_sample_size_defaults_to_the_profile(self) -> None:
        round_ = actions.create_round(self.admin, street=self.world.east.street, name="默认")
        self.assertEqual(round_.sample_size, 10)
        with self.assertRaises(InvalidInput) as ctx:
            actions.create_round(self.admin, street=self.world.east.street, name="x", sample_size=0)
        self.assertEqual(ctx.exception.fields, {"sample_size": "out_of_range"})
        with self.assertRaises(NotFound):
            actions.create_round(self.world.west.users[Role.ADMIN], street=self.world.east.street, name="x")

    # -------------------------------------------------------------------- answer and comparison

    def registry_exam(self) -> Exam:
        """An exam over the three households of build_registry (a grid with only them)."""
        round_ = actions.create_round(self.admin, street=self.world.east.street, name="比对", sample_size=10)
        Household.objects.filter(flat__room__startswith="9").update(moved_out=date(2026, 1, 1))
        return actions.draw(self.admin, round_, self.cadre, self.world.east.grids[0])

    def position_of(self, exam: Exam, household: Household) -> int:
        return exam.items.get(household=household).position

    def test_comparison_item_by_item(self) -> None:
        exam = self.registry_exam()
        self.assertEqual(exam.items.count(), 3)
        h1, h2, h3 = self.reg.households
        Person.objects.filter(pk=self.reg.persons["head2"].pk).update(employment=Employment.EMPLOYED)
        Person.objects.filter(pk=self.reg.persons["spouse2"].pk).update(employment=Employment.RETIRED)
        answers = [
            # Right size, right name (with a space), right care kind; employment unknown.
            {
                "position": self.position_of(exam, h1),
                "size": "1",
                "people": [{"name": "王 秀英"}],
                "care": ["alone"],
            },
            # Size right, one name right with its employment, one wrong; 低保 right, 大病 missed.
            {
                "position": self.position_of(exam, h2),
                "size": 2,
                "people": [
                    {"name": "李建国", "employment": "employed"},
                    {"name": "张莉", "employment": "retired"},
                ],
                "care": ["minimum_income"],
                "neighbours": "与邻居和睦",
            },
            # h3 not answered at all: counts as not known.
        ]
        exam = self.answer(exam, answers)
        self.assertEqual(exam.status, ExamStatus.ANSWERED)
        items = {i.household_id: i for i in exam.items.all()}
        self.assertEqual(
            items[h1.pk].comparison,
            [
                {"item": "size", "ok": True},
                {"item": "member", "n": 1, "ok": True},
                {"item": "employment", "n": 1, "ok": True},  # both blank
                {"item": "care", "kind": "alone", "ok": True},
            ],
        )
        self.assertEqual(
            items[h2.pk].comparison,
            [
                {"item": "size", "ok": True},
                {"item": "member", "n": 1, "ok": True},
                {"item": "employment", "n": 1, "ok": True},
                {"item": "member", "n": 2, "ok": False},
                {"item": "care", "kind": "minimum_income", "ok": True},
                {"item": "care", "kind": "illness", "ok": False},
            ],
        )
        self.assertEqual(
            items[h3.pk].comparison,
            [
                {"item": "size", "ok": False},
                {"item": "member", "n": 1, "ok": False},
                {"item": "care", "kind": "correction", "ok": False},
            ],
        )
        self.assertEqual(items[h2.pk].answer["neighbours"], "与邻居和睦")
        self.assertEqual((items[h1.pk].matched, items[h1.pk].total), (4, 4))
        self.assertEqual((items[h2.pk].matched, items[h2.pk].total), (4, 6))
        self.assertEqual((exam.matched, exam.total), (8, 13))
        # No registry value is stored: no name the cadre did not write, no registry size.
        stored = str(list(exam.items.values_list("comparison", flat=True)))
        for name in ("王秀英", "张丽", "赵强", "expected"):
            self.assertNotIn(name, stored)

    def test_an_answered_kind_the_registry_lacks_is_wrong(self) -> None:
        exam = self.registry_exam()
        h1 = self.reg.households[0]
        exam = self.answer(
            exam,
            [
                {
                    "position": self.position_of(exam, h1),
                    "size": 1,
                    "people": [{"name": "王秀英"}],
                    "care": ["alone", "disability"],
                }
            ],
        )
        item = exam.items.get(household=h1)
        self.assertIn({"item": "care", "kind": "disability", "ok": False}, item.comparison)

    def test_bad_answers_name_the_field_and_write_nothing(self) -> None:
        exam = self.registry_exam()
        for answers in (
            [{"position": 99, "size": 1}],
            [{"position": 1, "size": "many"}],
            [{"position": 1, "size": 1000}],
            [{"position": 1, "people": [{"name": "甲", "employment": "astronaut"}]}],
            [{"position": 1, "care": ["local"]}],
            [{"position": 1, "colour": "red"}],
            [{"position": 1}, {"position": 1}],
            "not a list",
        ):
            with self.subTest(answers=answers), self.assertRaises(InvalidInput) as ctx:
                self.answer(exam, answers)  # type: ignore[arg-type]
            self.assertIn("answers", ctx.exception.fields)
        exam.refresh_from_db()
        self.assertEqual((exam.status, exam.version), (ExamStatus.DRAWN, 1))
        self.assertFalse(exam.items.exclude(answer={}).exists())

    def test_machine_order(self) -> None:
        exam = self.registry_exam()
        with self.assertRaises(TransitionNotAllowed):  # grade before answer
            actions.FRAME.run(exam.pk, "grade", self.admin, {"grade": 1})
        with self.assertRaises(Forbidden):  # examiners do not answer
            self.answer(exam, [{"position": 1, "size": 1}], user=self.admin)
        self.answer(exam, [{"position": 1, "size": 1}])
        with self.assertRaises(TransitionNotAllowed):  # answer twice
            self.answer(exam, [{"position": 1, "size": 2}])
        with self.assertRaises(InvalidInput) as ctx:
            actions.FRAME.run(exam.pk, "grade", self.admin, {"grade": 6})
        self.assertEqual(ctx.exception.fields, {"grade": "out_of_range"})
        with self.assertRaises(Forbidden):  # cadres do not grade
            actions.FRAME.run(exam.pk, "grade", self.cadre, {"grade": 1})
        exam = actions.FRAME.run(exam.pk, "grade", self.admin, {"grade": 2, "note": "较熟悉"})
        self.assertEqual((exam.status, exam.grade, exam.grade_note), (ExamStatus.GRADED, 2, "较熟悉"))
        with self.assertRaises(TransitionNotAllowed):
            actions.FRAME.run(exam.pk, "grade", self.admin, {"grade": 1})

    def test_a_cadre_answers_only_her_own_exam(self) -> None:
        other = User.objects.create(username="east-cadre-2", role=Role.CADRE, full_name="另一位书记")
        other.memberships.create(area=self.world.east.residential[0])
        exam = self.draw()
        with self.assertRaises(NotFound):
            self.answer(exam, [{"position": 1, "size": 1}], user=other)
        self.assertFalse(Exam.objects.restrict(other, "view").filter(pk=exam.pk).exists())

    # -------------------------------------------------------------------- what readers see

    def test_sensitive_kinds_show_to_those_allowed_and_the_look_is_logged(self) -> None:
        exam = self.registry_exam()
        h2 = self.reg.households[1]
        self.answer(exam, [{"position": self.position_of(exam, h2), "size": 2, "care": ["illness"]}])
        # The examiner (street admin) may not see 大病: the kind reads as unnamed.
        rows = {r["household"]: r for r in exams.items_view(exam, self.admin)}
        kinds = [(c["kind"], c["ok"]) for c in rows[h2.pk]["comparison"] if c["item"] == "care"]
        self.assertEqual(kinds, [("minimum_income", False), ("sensitive", True)])
        illness = rows[h2.pk]["comparison"][-1]
        self.assertNotIn("大病", illness["label"])
        self.assertEqual(rows[h2.pk]["answer"]["care"], ["sensitive"])
        self.assertFalse(PersonalDataAccess.objects.filter(user=self.admin).exists())
        # The cadre may: she sees it named, and the look at the tag is logged.
        rows = {r["household"]: r for r in exams.items_view(exam, self.cadre)}
        self.assertEqual(rows[h2.pk]["comparison"][-1]["kind"], "illness")
        # Her 大病 answer and the 矫正 she missed both show a tag the registry holds.
        looks = PersonalDataAccess.objects.filter(user=self.cadre, field=care.LOOK_KEY)
        self.assertEqual(
            set(looks.values_list("object_id", flat=True)),
            {str(self.reg.tags["illness"].pk), str(self.reg.tags["correction"].pk)},
        )

    # -------------------------------------------------------------------- the re-check round

    def test_recheck_takes_exactly_the_grade_one_cadres(self) -> None:
        east = self.world.east
        second = User.objects.create(username="east-cadre-2", role=Role.CADRE, full_name="二号书记")
        second.memberships.create(area=east.grids[1])
        third = User.objects.create(username="east-cadre-3", role=Role.CADRE, full_name="三号书记")
        third.memberships.create(area=east.residential[0])
        graded = {self.cadre: 1, second: 1, third: 2}
        for cadre, grade in graded.items():
            exam = actions.draw(self.admin, self.round, cadre)
            actions.FRAME.run(exam.pk, "answer", cadre, {"answers": [{"position": 1, "size": 1}]})
            actions.FRAME.run(exam.pk, "grade", self.admin, {"grade": grade})
        empty = actions.create_round(self.admin, street=east.street, name="无一级")
        with self.assertRaises(Conflict):
            actions.create_recheck(self.admin, empty)
        recheck = actions.create_recheck(self.admin, self.round)
        self.assertEqual((recheck.kind, recheck.parent_id), (RoundKind.RECHECK, self.round.pk))
        self.assertEqual(recheck.sample_size, self.round.sample_size + 5)
        exams_ = {e.cadre_id: e for e in recheck.exams.all()}
        self.assertEqual(set(exams_), {self.cadre.pk, second.pk})
        first = {e.cadre_id: e for e in self.round.exams.all()}
        for pk, exam in exams_.items():
            self.assertEqual(exam.area_id, first[pk].area_id)  # the same way
            self.assertEqual(exam.status, ExamStatus.DRAWN)
        self.assertEqual(exams_[second.pk].items.count(), 10)  # all of her grid's 10
        self.assertEqual(exams_[self.cadre.pk].items.count(), 10)
        with self.assertRaises(Conflict):
            actions.create_recheck(self.admin, self.round)  # once
        with self.assertRaises(Conflict):
            actions.create_recheck(self.admin, recheck)  # not of a re-check
        with self.assertRaises(Conflict):
            actions.draw(self.admin, recheck, third)  # nobody else sits it
