"""The demo's two 知情 examination rounds per street (seed 001, "知民情如数家珍"): some five months
before the day of loading the street's administrator opens the first round (初审) and draws ten
households of each cadre's area; the cadre answers from memory — the registry as it is, with the
slips of someone who recalls `volume.EXAM_RECALL` of the facts —; the administrator grades with
the suggested grade; a month later the re-check round (复审) re-examines those graded 一级 with a
larger sample. Everything goes through residents.actions, each step inside `clock.at()` at its
moment, so the rounds carry their dates and events. A street that has rounds is skipped."""

import random
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from civicgrid.accounts.models import User
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.geo.models import Area
from civicgrid.residents import exams
from civicgrid.residents.actions import exams as exam_actions
from civicgrid.residents.models import CareTag, Exam, ExamRound, Person

from . import volume
from .builder import DemoPlan


def load_exams(plan: DemoPlan) -> int:
    """Play the rounds of every street without any; returns how many exams were graded."""
    graded = 0
    today = clock.today()
    first_day = today - timedelta(days=volume.EXAM_FIRST_DAYS_AGO)
    for n, code in enumerate(plan.street_names):
        street = Area.objects.get(code=code)
        if ExamRound.objects.filter(street=street).exists():
            continue
        staff = {p.role: User.objects.get(username=p.username) for p in plan.users if p.street_code == code}
        examiner, cadre = staff[Role.ADMIN], staff[Role.CADRE]
        recall = volume.EXAM_RECALL[n % len(volume.EXAM_RECALL)]
        rng = random.Random(f"demo-exam-{code}")
        with clock.at(_at(first_day, 9)):
            first = exam_actions.create_round(
                examiner,
                street=street,
                name=gettext("%(year)s年知情考试（初审）") % {"year": first_day.year},
                held_on=first_day,
            )
            exam_actions.draw(examiner, first, cadre)
        graded += _sit(first, examiner, rng, recall, first_day)
        if not first.exams.filter(grade=1).exists():
            continue
        recheck_day = first_day + timedelta(days=volume.EXAM_RECHECK_AFTER_DAYS)
        with clock.at(_at(recheck_day, 9)):
            recheck = exam_actions.create_recheck(examiner, first, held_on=recheck_day)
        graded += _sit(recheck, examiner, rng, recall, recheck_day)
    return graded


def _sit(round_: ExamRound, examiner: Any, rng: random.Random, recall: float, day: Any) -> int:
    """Each drawn cadre answers in the morning; the examiner grades in the afternoon."""
    exams_ = list(round_.exams.select_related("cadre").order_by("pk"))
    for exam in exams_:
        with clock.at(_at(day, 10)):
            exam_actions.FRAME.run(exam.pk, "answer", exam.cadre, {"answers": _answers(exam, rng, recall)})
        exam = Exam.objects.get(pk=exam.pk)
        grade = exams.suggested_grade(exam.matched, exam.total) or exams.WORST
        with clock.at(_at(day, 15)):
            exam_actions.FRAME.run(
                exam.pk,
                "grade",
                examiner,
                {"grade": grade, "note": gettext("对答如流") if grade == 1 else gettext("还需多走访")},
            )
    return len(exams_)


def _answers(exam: Exam, rng: random.Random, recall: float) -> list[dict[str, Any]]:
    """What the cadre recalls of each drawn household: the registry, each fact kept with the
    probability `recall`."""
    asked = set(exams.answer_kinds(exam.cadre))
    today = clock.today()
    out = []
    for item in exam.items.order_by("position"):
        members = list(Person.objects.filter(household_id=item.household_id).order_by("pk"))
        kinds = set(
            CareTag.objects.active(today)
            .filter(person__in=members, kind__in=asked)
            .values_list("kind", flat=True)
            .order_by()
            .distinct()
        )
        people = [
            {"name": p.name, "employment": p.employment if rng.random() < recall else ""}
            for p in members
            if rng.random() < recall
        ]
        size = len(members) if rng.random() < recall else len(members) + 1
        out.append(
            {
                "position": item.position,
                "size": size,
                "people": people,
                "care": sorted(k for k in kinds if rng.random() < recall),
                "neighbours": gettext("与邻居相处融洽") if rng.random() < recall else "",
            }
        )
    return out


def _at(day: Any, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))
