"""知情考试: create a round, draw a cadre's households, the frame's bodies (answer, grade) and
the re-check round for those graded 一级."""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import clock, events, profile
from civicgrid.core.choices import Action
from civicgrid.core.errors import Conflict, InvalidInput, NotFound
from civicgrid.core.frame import Context, Frame
from civicgrid.geo.models import Area

from .. import exams
from ..choices import ExamAction, RoundKind
from ..exam_workflow import MACHINE
from ..models import Exam, ExamItem, ExamRound
from .registry import ensure_in_scope, lock

MAX_SAMPLE = 50


def _load(ref: Any, user: Any) -> Exam:
    exam = Exam.objects.restrict(user, Action.VIEW).filter(pk=ref).first()
    if exam is None:
        raise NotFound(_("知情考试不存在"))
    return exam


FRAME = Frame(machine=MACHINE, model=Exam, load=_load, record=lambda ctx: None)


def _sample_size(value: Any, street_id: int) -> int:
    if value in (None, ""):
        return int(profile.value("residents.exam_sample_size", street_id))
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("抽查户数须为整数"), {"sample_size": "invalid"}) from None
    if not 1 <= size <= MAX_SAMPLE:
        raise InvalidInput(
            _("抽查户数须在 %(min)s–%(max)s 之间") % {"min": 1, "max": MAX_SAMPLE},
            {"sample_size": "out_of_range"},
        )
    return size


def create_round(
    actor: Any, *, street: Area, name: str, held_on: date | None = None, sample_size: Any = None
) -> ExamRound:
    """A first round of the street (sample size: the street's profile unless given)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("请填写名称"), {"name": "required"})
    if len(name) > 100:
        raise InvalidInput(_("名称不能超过 100 个字"), {"name": "too_long"})
    with transaction.atomic():
        round_ = ExamRound.objects.create(
            street=street,
            name=name,
            kind=RoundKind.FIRST,
            held_on=held_on or clock.today(),
            sample_size=_sample_size(sample_size, street.pk),
            created_by=actor,
        )
        ensure_in_scope(actor, round_, Action.ADD)
        events.log(round_, "exam_round_add", actor)
        return round_


def _draw(actor: Any, round_: ExamRound, cadre: Any, area: Area | None) -> Exam:
    """The draw inside the caller's transaction (round locked, in the actor's scope)."""
    if cadre is None or not exams.cadres(round_.street_id).filter(pk=cadre.pk).exists():
        raise InvalidInput(_("请选择本街道的居民区干部"), {"cadre": "invalid"})
    choices = exams.area_choices(cadre)
    if not choices:
        raise InvalidInput(_("该干部没有绑定居民区或网格"), {"cadre": "no_area"})
    if area is None:
        area = choices[0]
    elif area.pk not in {a.pk for a in choices}:
        raise InvalidInput(_("抽查范围须为该干部的居民区或其中一个网格"), {"area": "invalid"})
    if Exam.objects.filter(round=round_, cadre=cadre).exists():
        raise Conflict(_("该干部在本轮已抽过户"), {"cadre": "duplicate"})
    # The draw reads the registry as it stood at the exam's created_at, so redraw() can too.
    moment = clock.now()
    pks = list(exams.population(area, timezone.localdate(moment), moment).values_list("pk", flat=True))
    if not pks:
        raise InvalidInput(_("抽查范围内没有在住户"), {"area": "empty"})
    with clock.at(moment):
        exam = Exam.objects.create(
            round=round_,
            street_id=round_.street_id,
            cadre=cadre,
            area=area,
            examiner=actor,
            seed=exams.new_seed(),
            population=len(pks),
        )
    ExamItem.objects.bulk_create(
        ExamItem(exam=exam, household_id=pk, position=n)
        for n, pk in enumerate(exams.sample(pks, round_.sample_size, exam.seed), 1)
    )
    events.log(
        exam,
        "exam_draw",
        actor,
        payload={"population": len(pks), "sample": min(len(pks), round_.sample_size)},
    )
    return exam


def draw(actor: Any, round_: ExamRound, cadre: Any, area: Area | None = None) -> Exam:
    """Draw `round_.sample_size` households at random from the cadre's area (or one grid of
    it) for her exam in the round; the seed and the population size are recorded."""
    with transaction.atomic():
        round_ = lock(actor, ExamRound, round_.pk)
        if round_.kind == RoundKind.RECHECK:
            raise Conflict(_("复审轮次只考初审评为一级的干部，不能另行抽户"))
        return _draw(actor, round_, cadre, area)


def create_recheck(actor: Any, round_: ExamRound, *, held_on: date | None = None) -> ExamRound:
    """The re-check round (复审) of a first round: the cadres graded 一级 in it, the same way
    (each on the same area) with a larger sample and fresh seeds."""
    with transaction.atomic():
        round_ = lock(actor, ExamRound, round_.pk)
        if round_.kind != RoundKind.FIRST:
            raise Conflict(_("复审只能由初审轮次发起"))
        if round_.rechecks.exists():
            raise Conflict(_("本轮已发起过复审"))
        best = list(round_.exams.filter(grade=1).select_related("cadre", "area").order_by("cadre_id"))
        if not best:
            raise Conflict(_("本轮没有评为一级的干部"))
        recheck = ExamRound.objects.create(
            street_id=round_.street_id,
            name=_("%(name)s·复审") % {"name": round_.name},
            kind=RoundKind.RECHECK,
            parent=round_,
            held_on=held_on or clock.today(),
            sample_size=round_.sample_size + exams.RECHECK_EXTRA,
            created_by=actor,
        )
        ensure_in_scope(actor, recheck, Action.ADD)
        events.log(recheck, "exam_round_add", actor, payload={"parent": round_.pk})
        for exam in best:
            _draw(actor, recheck, exam.cadre, exam.area)
        return recheck


@FRAME.implements(ExamAction.ANSWER)
def answer(ctx: Context, *, answers: list[dict[str, Any]]) -> None:
    """The cadre's answers, compared item by item with the registry as it is now."""
    exam = ctx.obj
    items = {item.position: item for item in exam.items.select_related("household").order_by("position")}
    unknown = [a["position"] for a in answers if a["position"] not in items]
    if unknown:
        raise InvalidInput(_("没有第 %(n)s 户") % {"n": "、".join(map(str, unknown))}, {"answers": "invalid"})
    given = {a["position"]: a for a in answers}
    asked = exams.answer_kinds(ctx.actor)
    today = clock.today()
    matched = total = 0
    for position, item in items.items():
        people = exams.members(item.household)
        item.answer = given.get(
            position, {"position": position, "size": None, "people": [], "care": [], "neighbours": ""}
        )
        item.comparison = exams.compare(
            item.answer, people, exams.present_kinds(ctx.actor, people, today), asked
        )
        item.matched, item.total = exams.score(item.comparison)
        matched, total = matched + item.matched, total + item.total
    ExamItem.objects.bulk_update(items.values(), ["answer", "comparison", "matched", "total"])
    ctx.set(matched=matched, total=total, answered_at=ctx.now)
    ctx.payload = {"matched": matched, "total": total}


@FRAME.implements(ExamAction.GRADE)
def grade(ctx: Context, *, grade: int, note: str) -> None:
    ctx.set(grade=grade, grade_note=note, examiner=ctx.actor, graded_at=ctx.now)
    ctx.payload = {"grade": grade}
