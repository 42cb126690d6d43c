"""Candidates, ballot boxes and the count (issue 16, point 5).

Candidates are nominated and confirmed while the voter list is published (LISTED) and may
withdraw before the vote. A box is recorded for the ballot being voted (`Election.ballot_no`)
while the election is NOMINATED or SECOND_ROUND, and recorded again under the same name it
replaces the earlier record until the ballot is counted. The COUNT body stores what
`counting.count` decided (through `tally.counted`, the same result the machine's target was
decided on), the members elected and the next ballot. Each write is one transaction with its
event (core.events or the frame) and audit rows (AuditedModel)."""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.core import events
from civicgrid.core.capabilities import may
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound, TransitionNotAllowed
from civicgrid.core.frame import Context
from civicgrid.residents.choices import Sex

from .. import tally
from ..choices import BoxKind, CandidateStatus, ElectionAction, ElectionStatus, Position, VoterStatus
from ..models import BallotBox, BoxVotes, Candidate, Count, Election, Member, Voter
from .elections import complete_step
from .frames import ELECTION_FRAME

__all__ = [
    "confirm_candidates",
    "nominate",
    "record_box",
    "withdraw_candidate",
]

NOMINATE, CONFIRM, WITHDRAW, RECORD_BOX = "nominate", "confirm", "withdraw", "record_box"
VOTING = frozenset({ElectionStatus.NOMINATED, ElectionStatus.SECOND_ROUND})
NAME_MAX = 50
BOX_NAME_MAX = 60


def _election(actor: Any, election: Any) -> Election:
    """The election locked for this write, if the actor conducts it (outside their scope it
    does not exist for them; inside it without the capability it is refused)."""
    pk = getattr(election, "pk", election)
    if not Election.objects.restrict(actor, Action.VIEW).filter(pk=pk).exists():
        raise NotFound(_("选举不存在或不在你的管辖范围内"))
    if not may(actor, "elections.conduct"):
        raise Forbidden(_("你不能办理该选举"))
    return Election.objects.select_for_update(of=("self",)).select_related("round").get(pk=pk)


def _require_status(election: Election, allowed: Iterable[str], doing: str) -> None:
    if election.status not in allowed:
        raise TransitionNotAllowed(
            _("选举当前状态为“%(status)s”，不能%(doing)s")
            % {"status": election.get_status_display(), "doing": doing}
        )


def _name(raw: Any, field: str, limit: int = NAME_MAX) -> str:
    name = " ".join(str(raw or "").split())
    if not name or len(name) > limit:
        raise InvalidInput(_("请填写姓名（不超过 %d 字）") % limit, {field: "invalid"})
    return name


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def nominate(
    actor: Any,
    election: Any,
    *,
    name: str,
    position: str = Position.MEMBER,
    sex: str = "",
    birth_date: date | None = None,
    voter: Voter | None = None,
    nominated_by: str = "",
) -> Candidate:
    """A nominee (初步候选人) for a position. A nominee on the register links the voter (name, sex
    and birth date default to the register's); the name is unique in the election; a birth date
    must make them of voting age on election day."""
    with transaction.atomic():
        found = _election(actor, election)
        _require_status(found, {ElectionStatus.LISTED}, _("提名候选人"))
        if position not in Position.values:
            raise InvalidInput(_("职务不正确"), {"position": "invalid"})
        if voter is not None:
            voter = found.voters.filter(pk=voter.pk, status=VoterStatus.LISTED).first()
            if voter is None:
                raise InvalidInput(_("该选民不在本居委会的选民名单上"), {"voter": "invalid"})
            name = name or voter.name
            sex = sex or voter.sex
            birth_date = birth_date or voter.birth_date
        name = _name(name, "name")
        if sex not in ("", *Sex.values):
            raise InvalidInput(_("性别不正确"), {"sex": "invalid"})
        nominated_by = " ".join(str(nominated_by or "").split())
        if len(nominated_by) > 60:
            raise InvalidInput(_("提名方式不超过 60 字"), {"nominated_by": "invalid"})
        voting_age = found.round.rules().voting_age
        if birth_date is not None and _age_on(birth_date, found.election_day) < voting_age:
            raise InvalidInput(_("候选人须在选举日年满 %d 周岁") % voting_age, {"birth_date": "too_young"})
        if found.candidates.filter(name=name).exists():
            raise InvalidInput(_("本次选举已有名为“%s”的候选人") % name, {"name": "duplicate"})
        candidate = Candidate.objects.create(
            election=found,
            street_id=found.street_id,
            voter=voter,
            name=name,
            sex=sex,
            birth_date=birth_date,
            position=position,
            nominated_by=nominated_by,
        )
        events.log(candidate, NOMINATE, actor, payload={"election": found.pk, "position": position})
    return candidate


def confirm_candidates(actor: Any, election: Any, candidates: Iterable[Any]) -> int:
    """The nominees among `candidates` (rows or ids of this election) become official
    candidates (正式候选人); how many changed. Only while the list is published, before the
    candidates are announced."""
    ids = {getattr(c, "pk", c) for c in candidates}
    with transaction.atomic():
        found = _election(actor, election)
        _require_status(found, {ElectionStatus.LISTED}, _("确定正式候选人"))
        rows = list(found.candidates.filter(pk__in=ids).select_for_update(of=("self",)))
        if len(rows) != len(ids):
            raise InvalidInput(_("有候选人不属于本次选举"), {"candidates": "invalid"})
        changed = 0
        for candidate in rows:
            if candidate.status != CandidateStatus.NOMINEE:
                continue
            candidate.status = CandidateStatus.OFFICIAL
            candidate.save(update_fields=["status", "updated_at"])
            events.log(candidate, CONFIRM, actor, payload={"election": found.pk})
            changed += 1
    return changed


def withdraw_candidate(actor: Any, candidate: Candidate, *, reason: str) -> Candidate:
    """A candidate withdraws (the reason kept in the event) before the vote: while the list is
    published, or once announced while no ballot box has been recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("请说明退出原因"), {"reason": "required"})
    if len(reason) > 2000:
        raise InvalidInput(_("退出原因不超过 2000 字"), {"reason": "invalid"})
    with transaction.atomic():
        found = _election(actor, candidate.election_id)
        row = found.candidates.select_for_update(of=("self",)).filter(pk=candidate.pk).first()
        if row is None:
            raise NotFound(_("候选人不存在"))
        _require_status(found, {ElectionStatus.LISTED, ElectionStatus.NOMINATED}, _("退出候选"))
        if found.boxes.exists():
            raise TransitionNotAllowed(_("已开始投票，候选人不能再退出"))
        if row.status == CandidateStatus.WITHDRAWN:
            raise TransitionNotAllowed(_("该候选人已退出"))
        previous = row.status
        row.status = CandidateStatus.WITHDRAWN
        row.save(update_fields=["status", "updated_at"])
        events.log(row, WITHDRAW, actor, payload={"note": reason, "was": previous})
    return row


def _count_field(raw: Any, field: str) -> int:
    if isinstance(raw, bool):
        raise InvalidInput(_("%s 须为非负整数") % field, {field: "invalid"})
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise InvalidInput(_("%s 须为非负整数") % field, {field: "invalid"}) from None
    if value < 0 or value > 10_000_000:
        raise InvalidInput(_("%s 须为非负整数") % field, {field: "invalid"})
    return value


def _clean_votes(votes: Mapping[str, Any]) -> dict[str, int]:
    cleaned: dict[str, int] = {}
    for raw_name, raw_votes in votes.items():
        name = _name(raw_name, "votes")
        if name in cleaned:
            raise InvalidInput(_("“%s”重复录入") % name, {f"votes.{name}": "duplicate"})
        cleaned[name] = _count_field(raw_votes, f"votes.{name}")
    return cleaned


def record_box(
    actor: Any,
    election: Any,
    *,
    kind: str,
    name: str,
    issued: int,
    cast: int,
    invalid: int,
    votes: Mapping[str, int],
) -> BallotBox:
    """One box's tally for the ballot being voted. Checks: invalid ≤ cast; a candidate's votes ≤
    the box's valid ballots; all its votes ≤ valid ballots × seats to fill. A name that is no
    candidate becomes a write-in (另选他人) on the first ballot; later ballots carry only the
    names the last count sent to them. The same box name again replaces the earlier record."""
    if kind not in BoxKind.values:
        raise InvalidInput(_("票箱类型不正确"), {"kind": "invalid"})
    box_name = " ".join(str(name or "").split())
    if not box_name or len(box_name) > BOX_NAME_MAX:
        raise InvalidInput(_("请填写票箱名称（不超过 %d 字）") % BOX_NAME_MAX, {"name": "invalid"})
    issued = _count_field(issued, "issued")
    cast = _count_field(cast, "cast")
    invalid = _count_field(invalid, "invalid")
    if invalid > cast:
        raise InvalidInput(_("无效票不能多于收回的选票"), {"invalid": "too_many"})
    wanted = _clean_votes(votes)
    valid = cast - invalid
    for who, given in wanted.items():
        if given > valid:
            raise InvalidInput(
                _("“%(name)s”的得票（%(votes)d）多于本票箱的有效票（%(valid)d）")
                % {"name": who, "votes": given, "valid": valid},
                {f"votes.{who}": "too_many"},
            )
    with transaction.atomic():
        found = _election(actor, election)
        _require_status(found, VOTING, _("录入票箱"))
        seats = tally.seats_to_fill(found)
        if sum(wanted.values()) > valid * seats:
            raise InvalidInput(
                _("得票总数多于有效票 × 应选名额（%(valid)d × %(seats)d）")
                % {"valid": valid, "seats": seats},
                {"votes": "too_many"},
            )
        allowed = tally.standing(found)
        if allowed is not None:
            outside = [who for who in wanted if who not in allowed and wanted[who]]
            if outside:
                raise InvalidInput(
                    _("本轮只能投给：%(names)s；“%(name)s”不是本轮候选人")
                    % {"names": "、".join(allowed), "name": outside[0]},
                    {f"votes.{outside[0]}": "not_candidate"},
                )
        box = found.boxes.filter(round_no=found.ballot_no, name=box_name).first()
        replaced = box is not None
        if box is None:
            box = BallotBox(
                election=found, street_id=found.street_id, round_no=found.ballot_no, name=box_name
            )
        box.kind, box.issued, box.cast, box.invalid, box.recorded_by = kind, issued, cast, invalid, actor
        box.save()
        if replaced:
            box.votes.all().delete()
        known = {c.name: c for c in found.candidates.filter(name__in=list(wanted))}
        rows = []
        for who, given in wanted.items():
            if not given:
                continue
            candidate = known.get(who) or _write_in(found, who)
            rows.append(BoxVotes(box=box, candidate=candidate, votes=given))
        BoxVotes.objects.bulk_create(rows)
        if replaced:
            # A write-in only this box's earlier record named is no candidate any more.
            found.candidates.filter(is_write_in=True, box_votes__isnull=True, member__isnull=True).delete()
        events.log(
            box,
            RECORD_BOX,
            actor,
            payload={"election": found.pk, "ballot": found.ballot_no, "replaced": replaced, "cast": cast},
        )
    return box


def _write_in(election: Election, name: str) -> Candidate:
    return Candidate.objects.create(
        election=election,
        street_id=election.street_id,
        name=name,
        status=CandidateStatus.OFFICIAL,
        nominated_by=_("另选他人"),
        is_write_in=True,
    )


def _positions(election: Election, elected: list[Candidate]) -> dict[int, str]:
    """The position each elected candidate takes: the one they stood for while its places are
    free (one chair, `election.vice_chairs` vice-chairs, counting those elected in earlier
    ballots), in order of votes; beyond that they serve as members."""
    places: dict[str, int] = {Position.CHAIR: 1, Position.VICE_CHAIR: election.vice_chairs}
    for taken in election.members.values_list("position", flat=True):
        if taken in places:
            places[taken] -= 1
    out = {}
    for candidate in elected:
        position = candidate.position
        if position in places:
            if places[position] > 0:
                places[position] -= 1
            else:
                position = Position.MEMBER
        out[candidate.pk] = position
    return out


@ELECTION_FRAME.implements(ElectionAction.COUNT)
def count_ballot(ctx: Context, note: str = "") -> None:
    """Count the ballot being voted: store the Count (inputs, rules, outcome), the members
    elected, and set the next ballot, if one is needed: its number, the law's round (2 after
    round 1's vacancies; a run-off or a re-vote keeps its round) and the seats it fills."""
    election: Election = ctx.obj
    counted_tally, outcome = tally.counted(election)
    rules = election.round.rules()
    turnout = Decimal(outcome.turnout.numerator) / Decimal(outcome.turnout.denominator)
    stored = Count.objects.create(
        election=election,
        street_id=election.street_id,
        round_no=election.ballot_no,
        law_round=counted_tally.round,
        registered=counted_tally.registered,
        ballots_issued=counted_tally.ballots_issued,
        ballots_cast=counted_tally.ballots_cast,
        invalid_ballots=counted_tally.invalid_ballots,
        seats=counted_tally.seats,
        votes=dict(counted_tally.votes),
        rules=rules.as_json(),
        valid=outcome.valid,
        turnout=turnout.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN),
        elected=list(outcome.elected),
        vacancies=outcome.vacancies,
        second_round=list(outcome.second_round),
        outcome=outcome.code,
        reason=outcome.reason,
        counted_by=ctx.actor,
    )
    by_name = {c.name: c for c in election.candidates.filter(name__in=outcome.elected)}
    elected = [by_name[name] for name in outcome.elected]
    positions = _positions(election, elected)
    for candidate in elected:  # one by one: each member gets its audit row
        Member.objects.create(
            election=election,
            street_id=election.street_id,
            candidate=candidate,
            position=positions[candidate.pk],
            votes=counted_tally.votes.get(candidate.name, 0),
            round_no=election.ballot_no,
        )
    law_round = election.law_round
    if outcome.code == "vacancies":
        law_round = 2
    next_seats = outcome.vacancies if outcome.valid else counted_tally.seats
    # A final count (all elected, or round 2's seats left vacant) leaves no ballot to vote.
    final = outcome.code in ("elected", "unfilled")
    next_ballot = election.ballot_no if final else election.ballot_no + 1
    ctx.set(ballot_no=next_ballot, law_round=law_round, open_seats=next_seats)
    ctx.note = note
    ctx.payload.update(
        outcome=outcome.code, count=stored.pk, ballot=stored.round_no, elected=list(outcome.elected)
    )
    complete_step(ctx)  # election day: the ballot was voted, whatever the count says
