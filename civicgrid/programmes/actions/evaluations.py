"""The democratic evaluation (民主测评): the desk sets it up while it is a draft (subjects, the
representatives' one-time codes), opens it, records the tellers' count of paper ballots,
closes it (the tally into `result`) and publishes it; the representatives vote with their code
on a public page (`cast_ballot`).

Anonymity: a ballot writes no row of its own. It flips its voter's `voted` (a plain model: no
audit row, no time) and adds one to a counter per subject and mark; its event is logged on the
evaluation with no actor and no payload naming anyone. Nothing stored, and no order of rows,
links a mark to a voter (docs/programmes.md, "Anonymity")."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core import capabilities, events, profile
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core.frame import Context
from civicgrid.core.inputs import as_id
from civicgrid.core.retry import retry_when_locked
from civicgrid.orgs.models import Unit

from .. import ballot_codes
from ..choices import BallotSource, EvaluationAction, EvaluationStatus, Mark
from ..models import (
    Evaluation,
    EvaluationCount,
    EvaluationSubject,
    EvaluationVoter,
    Representative,
    Session,
)
from ..tally import tally
from .frames import EVALUATION_FRAME

DESK = "programmes.evaluations"
MAX_SUBJECTS = 40
MAX_PAPER_BALLOTS = 10_000
# The one answer to a code that is unknown, already used, or of an evaluation not open: a
# guesser learns nothing about which codes exist.
CODE_REFUSED = gettext_lazy("这个测评码无效、已经使用过，或者测评未在进行中")


def _pk(value: Any) -> int | None:
    if hasattr(value, "pk"):
        return int(value.pk)
    return as_id(str(value)) if value not in (None, "") else None


def _desk(actor: Any) -> None:
    if not capabilities.may(actor, DESK):
        raise Forbidden(_("你的角色不能组织民主测评"))


def _locked(actor: Any, evaluation: Any, *statuses: str) -> Evaluation:
    """The evaluation in the actor's scope, its row locked for this transaction, in one of
    `statuses` (else 409)."""
    _desk(actor)
    pk = _pk(evaluation)
    if pk is None or not Evaluation.objects.restrict(actor, "view").filter(pk=pk).exists():
        raise NotFound(_("测评不存在或不在你的管辖范围内"))
    found = Evaluation.objects.select_for_update().get(pk=pk)
    if found.status not in statuses:
        raise Conflict(_("测评现在是“%(status)s”，不能这样修改") % {"status": found.get_status_display()})
    return found


def _name(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(_("请填写测评对象名称"), {"name": "required"})
    if len(text) > 100:
        raise InvalidInput(_("测评对象名称不能超过 100 个字"), {"name": "too_long"})
    return text


def _unit(actor: Any, street_id: int, value: Any) -> Unit | None:
    if value in (None, ""):
        return None
    pk = _pk(value)
    found = Unit.objects.restrict(actor, "view").filter(pk=pk, street_id=street_id).first() if pk else None
    if found is None:
        raise InvalidInput(_("单位不存在或不在该街道"), {"unit": "not_found"})
    return found


def _add_subject(actor: Any, evaluation: Evaluation, name: Any, unit: Any) -> EvaluationSubject:
    existing = evaluation.subjects.count()
    if existing >= MAX_SUBJECTS:
        raise InvalidInput(_("一次测评最多 %(n)d 个测评对象") % {"n": MAX_SUBJECTS}, {"subjects": "too_many"})
    text = _name(name)
    if evaluation.subjects.filter(name=text).exists():
        raise InvalidInput(_("测评对象“%(name)s”已在本次测评中") % {"name": text}, {"name": "duplicate"})
    return EvaluationSubject.objects.create(
        evaluation=evaluation,
        street_id=evaluation.street_id,
        name=text,
        unit=_unit(actor, evaluation.street_id, unit),
        order=existing + 1,
    )


def create_evaluation(
    actor: Any, *, session: Any, title: str, subjects: Iterable[Mapping[str, Any]] = ()
) -> Evaluation:
    """A draft evaluation at `session` with its subjects ({"name", "unit"}) in ballot order."""
    _desk(actor)
    pk = _pk(session)
    meeting = Session.objects.restrict(actor, "view").filter(pk=pk).first() if pk else None
    if meeting is None:
        raise InvalidInput(_("会议不存在或不在你的管辖范围内"), {"session": "not_found"})
    text = str(title or "").strip()
    if not text:
        raise InvalidInput(_("请填写测评名称"), {"title": "required"})
    if len(text) > 120:
        raise InvalidInput(_("测评名称不能超过 120 个字"), {"title": "too_long"})
    with transaction.atomic():
        evaluation = Evaluation.objects.create(
            session=meeting, street_id=meeting.street_id, title=text, created_by=actor
        )
        for subject in subjects:
            _add_subject(actor, evaluation, subject.get("name"), subject.get("unit"))
        events.log(evaluation, "create", actor)
    return evaluation


def add_subject(actor: Any, evaluation: Any, *, name: str, unit: Any = None) -> EvaluationSubject:
    with transaction.atomic():
        locked = _locked(actor, evaluation, EvaluationStatus.DRAFT)
        subject = _add_subject(actor, locked, name, unit)
        events.log(locked, "add_subject", actor, payload={"subject": subject.pk, "name": subject.name})
    return subject


def remove_subject(actor: Any, evaluation: Any, subject: Any) -> None:
    with transaction.atomic():
        locked = _locked(actor, evaluation, EvaluationStatus.DRAFT)
        pk = _pk(subject)
        found = locked.subjects.filter(pk=pk).first() if pk else None
        if found is None:
            raise NotFound(_("测评对象不存在"))
        events.log(locked, "remove_subject", actor, payload={"subject": found.pk, "name": found.name})
        found.delete()


def issue_codes(actor: Any, evaluation: Any, representatives: Iterable[Any] | None = None) -> int:
    """Make the voters (default: every active representative of the street) with the digest
    of their derived code; those who already have one are skipped. The number made."""
    with transaction.atomic():
        locked = _locked(actor, evaluation, EvaluationStatus.DRAFT, EvaluationStatus.OPEN)
        entitled = Representative.objects.restrict(actor, "view").filter(street_id=locked.street_id)
        if representatives is None:
            chosen = list(entitled.filter(active=True))
        else:
            wanted = {_pk(r) for r in representatives}
            chosen = list(entitled.filter(pk__in=[pk for pk in wanted if pk]))
            if len(chosen) != len(wanted):
                raise InvalidInput(_("有代表不存在或不在该街道"), {"representatives": "not_found"})
        have = set(locked.voters.values_list("representative_id", flat=True))
        made = 0
        for representative in chosen:
            if representative.pk in have:
                continue
            EvaluationVoter.objects.create(
                evaluation=locked,
                street_id=locked.street_id,
                representative=representative,
                code_digest=ballot_codes.digest(ballot_codes.derive(locked.pk, representative.pk)),
            )
            made += 1
        if made:
            events.log(locked, "issue_codes", actor, payload={"voters": made})
    return made


def _marks(evaluation: Evaluation, marks: Mapping[Any, Any]) -> dict[int, str]:
    """Every subject of the evaluation with one of the four marks (400 naming the first
    subject left out or marked wrongly, or a subject not on the ballot)."""
    given = {}
    for key, mark in marks.items():
        pk = _pk(key)
        if pk is None:
            raise InvalidInput(_("测评对象不正确"), {"marks": "unknown_subject"})
        given[pk] = str(mark or "")
    subjects = list(evaluation.subjects.order_by("order", "id"))
    if set(given) - {s.pk for s in subjects}:
        raise InvalidInput(_("选票上没有这个测评对象"), {"marks": "unknown_subject"})
    for subject in subjects:
        if given.get(subject.pk) not in Mark.values:
            raise InvalidInput(
                _("请为“%(name)s”选择一项评价") % {"name": subject.name},
                {f"subject_{subject.pk}": "required"},
            )
    return given


def _count(evaluation: Evaluation, subject_id: int, mark: str, source: str, n: int) -> None:
    """Add `n` to one counter (made under the evaluation's lock when missing)."""
    row, _made = EvaluationCount.objects.get_or_create(
        subject_id=subject_id,
        mark=mark,
        source=source,
        defaults={"evaluation": evaluation, "street_id": evaluation.street_id},
    )
    EvaluationCount.objects.filter(pk=row.pk).update(count=F("count") + n)


@retry_when_locked(give_up=lambda exc: Conflict(_("投票的人很多，请稍后再提交一次")))
def cast_ballot(code: str, marks: Mapping[Any, Any]) -> Evaluation:
    """A representative's ballot by their one-time code: {subject id: mark} for every subject.
    Refused alike (409) for an unknown or used code and an evaluation not open; of two uses of
    one code at once exactly one counts."""
    canonical = ballot_codes.normalise(code)
    if canonical is None:
        raise Conflict(str(CODE_REFUSED))
    with transaction.atomic():
        voter = EvaluationVoter.objects.filter(code_digest=ballot_codes.digest(canonical)).first()
        if voter is None or voter.voted:
            raise Conflict(str(CODE_REFUSED))
        # The evaluation's lock orders this ballot against closing and against the others.
        evaluation = Evaluation.objects.select_for_update().get(pk=voter.evaluation_id)
        if evaluation.status != EvaluationStatus.OPEN:
            raise Conflict(str(CODE_REFUSED))
        chosen = _marks(evaluation, marks)
        # Conditional on still unused: one of two concurrent uses changes the row.
        if not EvaluationVoter.objects.filter(pk=voter.pk, voted=False).update(voted=True):
            raise Conflict(str(CODE_REFUSED))
        for subject_id, mark in chosen.items():
            _count(evaluation, subject_id, mark, BallotSource.WEB, 1)
        Evaluation.objects.filter(pk=evaluation.pk).update(ballots=F("ballots") + 1)
        evaluation.refresh_from_db(fields=["ballots"])
        events.log(evaluation, "ballot", None, payload={"source": BallotSource.WEB})
    return evaluation


def record_paper_ballots(
    actor: Any, evaluation: Any, *, ballots: Any, counts: Mapping[Any, Mapping[str, Any]]
) -> Evaluation:
    """The tellers' count of a batch of paper ballots: for every subject how many ballots gave
    each mark, summing to `ballots`. With the web ballots they may not exceed the voters."""
    with transaction.atomic():
        locked = _locked(actor, evaluation, EvaluationStatus.OPEN)
        try:
            n = int(ballots)
        except (TypeError, ValueError):
            raise InvalidInput(_("票数须为整数"), {"ballots": "invalid"}) from None
        if not 0 < n <= MAX_PAPER_BALLOTS:
            raise InvalidInput(_("票数须为正整数"), {"ballots": "invalid"})
        if locked.ballots + n > locked.voters.count():
            raise InvalidInput(
                _("收回票数（%(n)d）超过了应参加测评的人数") % {"n": locked.ballots + n},
                {"ballots": "too_many"},
            )
        given: dict[int, Mapping[str, Any]] = {}
        for key, marks in counts.items():
            pk = _pk(key)
            if pk is None or not isinstance(marks, Mapping):
                raise InvalidInput(_("测评对象不正确"), {"counts": "unknown_subject"})
            given[pk] = marks
        subjects = list(locked.subjects.order_by("order", "id"))
        if set(given) - {s.pk for s in subjects}:
            raise InvalidInput(_("选票上没有这个测评对象"), {"counts": "unknown_subject"})
        rows: dict[int, dict[str, int]] = {}
        for subject in subjects:
            field = f"subject_{subject.pk}"
            marks = given.get(subject.pk, {})
            if set(marks) - set(Mark.values):
                raise InvalidInput(_("评价不正确"), {field: "invalid"})
            try:
                row = {mark: int(marks.get(mark) or 0) for mark in Mark.values}
            except (TypeError, ValueError):
                raise InvalidInput(
                    _("“%(name)s”的票数须为整数") % {"name": subject.name}, {field: "invalid"}
                ) from None
            if any(v < 0 for v in row.values()) or sum(row.values()) != n:
                raise InvalidInput(
                    _("“%(name)s”的各项票数之和（%(sum)d）应等于收回票数 %(n)d")
                    % {"name": subject.name, "sum": sum(row.values()), "n": n},
                    {field: "sum"},
                )
            rows[subject.pk] = row
        for subject_id, row in rows.items():
            for mark, count in row.items():
                if count:
                    _count(locked, subject_id, mark, BallotSource.PAPER, count)
        Evaluation.objects.filter(pk=locked.pk).update(ballots=F("ballots") + n)
        locked.refresh_from_db(fields=["ballots"])
        events.log(locked, "paper_ballots", actor, payload={"ballots": n, "counts": rows})
    return locked


def compute_result(evaluation: Evaluation) -> dict[str, Any]:
    """The tally of the evaluation's counters as they stand."""
    subjects = list(evaluation.subjects.order_by("order", "id").values_list("id", "name"))
    counts: dict[int, dict[str, int]] = {}
    summed = EvaluationCount.objects.filter(evaluation=evaluation).values("subject_id", "mark")
    for row in summed.annotate(n=Sum("count")):
        counts.setdefault(row["subject_id"], {})[row["mark"]] = row["n"]
    return tally(
        subjects,
        counts,
        ballots=evaluation.ballots,
        voters=evaluation.voters.count(),
        pass_percent=profile.value("programmes.evaluation_pass_percent", evaluation.street_id),
    )


@EVALUATION_FRAME.implements(EvaluationAction.OPEN)
def open_evaluation(ctx: Context, note: str = "") -> None:
    ctx.note = note
    # Every web counter exists before the first ballot: a row made by a ballot would tell
    # (by its id) which marks the first voter gave.
    have = set(ctx.obj.counts.filter(source=BallotSource.WEB).values_list("subject_id", "mark"))
    EvaluationCount.objects.bulk_create(
        EvaluationCount(
            evaluation=ctx.obj,
            subject=subject,
            street_id=ctx.obj.street_id,
            mark=mark,
            source=BallotSource.WEB,
        )
        for subject in ctx.obj.subjects.all()
        for mark in Mark.values
        if (subject.pk, mark) not in have
    )


@EVALUATION_FRAME.implements(EvaluationAction.CLOSE)
def close_evaluation(ctx: Context, note: str = "") -> None:
    ctx.note = note
    ctx.set(result=compute_result(ctx.obj))


@EVALUATION_FRAME.implements(EvaluationAction.PUBLISH)
def publish_evaluation(ctx: Context, note: str = "") -> None:
    ctx.note = note
