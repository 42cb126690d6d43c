"""/api/v1/elections/ — candidates, ballot boxes, counts, members and the results PDF of one
election. Reads go through `restrict()` (an election outside the caller's scope is a 404);
writes through elections.actions.ballots, which decide who may write. The count itself is
the election's COUNT action."""

from datetime import date
from typing import Any

from django.http import HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import READ_ERRORS, WRITE_ERRORS, LocalDateTime, StrictBody

from .. import results, tally
from ..actions.ballots import confirm_candidates, nominate, record_box, withdraw_candidate
from ..choices import BoxKind, CandidateStatus, Position
from ..models import BallotBox, Candidate, Count, Member, Voter
from .common import election_of, one, visible

router = Router()


class CandidateOut(Schema):
    id: int
    election: int
    name: str
    position: Position
    status: CandidateStatus
    is_write_in: bool
    voter: int | None
    nominated_by: str


class CandidatePage(PageOut):
    results: list[CandidateOut]


class NominateIn(StrictBody):
    name: str = Field("", max_length=50, description="姓名；给出 voter 时可不填")
    position: Position = Position.MEMBER
    sex: str = Field("", max_length=1, description="M 或 F")
    birth_date: date | None = None
    voter: int | None = Field(None, ge=1, le=MAX_ID, description="选民名单中的本人（选民 id）")
    nominated_by: str = Field("", max_length=60)


class ConfirmIn(StrictBody):
    candidates: list[int] = Field(min_length=1, max_length=100, description="要确定为正式候选人的候选人 id")


class ConfirmOut(Schema):
    confirmed: int


class WithdrawIn(StrictBody):
    reason: str = Field(max_length=2000)


class BoxVotesOut(Schema):
    name: str
    votes: int


class BoxOut(Schema):
    id: int
    election: int
    ballot: int
    kind: BoxKind
    name: str
    issued: int
    cast: int
    invalid: int
    votes: list[BoxVotesOut]
    updated_at: LocalDateTime


class BoxPage(PageOut):
    results: list[BoxOut]


class BoxIn(StrictBody):
    kind: BoxKind
    name: str = Field(max_length=60)
    issued: int = Field(ge=0, le=10_000_000)
    cast: int = Field(ge=0, le=10_000_000)
    invalid: int = Field(0, ge=0, le=10_000_000)
    votes: dict[str, int] = Field(
        default_factory=dict,
        max_length=200,
        description="姓名 → 得票；非候选人的姓名为另选他人（仅第一次投票）",
    )


class CountOut(Schema):
    id: int
    election: int
    ballot: int
    registered: int
    ballots_issued: int | None
    ballots_cast: int
    invalid_ballots: int
    seats: int
    votes: dict[str, int]
    rules: dict[str, Any]
    valid: bool
    turnout: str = Field(description="参选率（小数，6 位）")
    elected: list[str]
    vacancies: int
    second_round: list[str]
    outcome: str
    reason: str
    counted_at: LocalDateTime


class CountPage(PageOut):
    results: list[CountOut]


class ElectedMemberOut(Schema):
    id: int
    election: int
    candidate: int
    name: str
    position: Position
    votes: int
    ballot: int


class ElectedMemberPage(PageOut):
    results: list[ElectedMemberOut]


def candidate_out(c: Candidate) -> dict[str, Any]:
    return {
        "id": c.pk,
        "election": c.election_id,
        "name": c.name,
        "position": c.position,
        "status": c.status,
        "is_write_in": c.is_write_in,
        "voter": c.voter_id,
        "nominated_by": c.nominated_by,
    }


def box_out(box: BallotBox) -> dict[str, Any]:
    return {
        "id": box.pk,
        "election": box.election_id,
        "ballot": box.round_no,
        "kind": box.kind,
        "name": box.name,
        "issued": box.issued,
        "cast": box.cast,
        "invalid": box.invalid,
        "votes": [{"name": v.candidate.name, "votes": v.votes} for v in box.votes.all()],
        "updated_at": box.updated_at,
    }


def count_out(c: Count) -> dict[str, Any]:
    return {
        "id": c.pk,
        "election": c.election_id,
        "ballot": c.round_no,
        "registered": c.registered,
        "ballots_issued": c.ballots_issued,
        "ballots_cast": c.ballots_cast,
        "invalid_ballots": c.invalid_ballots,
        "seats": c.seats,
        "votes": c.votes,
        "rules": c.rules,
        "valid": c.valid,
        "turnout": str(c.turnout),
        "elected": c.elected,
        "vacancies": c.vacancies,
        "second_round": c.second_round,
        "outcome": c.outcome,
        "reason": tally.reason_of(c),
        "counted_at": c.counted_at,
    }


def member_out(m: Member) -> dict[str, Any]:
    return {
        "id": m.pk,
        "election": m.election_id,
        "candidate": m.candidate_id,
        "name": m.candidate.name,
        "position": m.position,
        "votes": m.votes,
        "ballot": m.round_no,
    }


@router.get(
    "/elections/{election_id}/candidates",
    response={200: CandidatePage, **READ_ERRORS},
    summary="候选人",
    operation_id="elections_list_candidates",
)
def list_candidates(
    request: Any, election_id: int, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    user = request.auth
    qs = (
        Candidate.objects.restrict(user, Action.VIEW)
        .filter(election=election_of(user, election_id))
        .order_by("is_write_in", "id")
    )
    return paginate(qs, page, page_size, candidate_out)


@router.post(
    "/elections/{election_id}/candidates",
    response={201: CandidateOut, **WRITE_ERRORS},
    summary="提名候选人",
    operation_id="elections_nominate",
)
def create_candidate(request: Any, election_id: int, payload: NominateIn) -> Status[dict[str, Any]]:
    """A nominee (while the voter list is published). `voter` links the register's entry."""
    user = request.auth
    election = election_of(user, election_id)
    voter = None
    if payload.voter is not None:
        voter = Voter.objects.restrict(user, Action.VIEW).filter(pk=payload.voter, election=election).first()
        if voter is None:
            raise InvalidInput(f"voter：{payload.voter} 不在本次选举的选民名单上", {"voter": "unknown"})
    with acting_as(user, "api"):
        made = nominate(
            user,
            election,
            name=payload.name,
            position=payload.position,
            sex=payload.sex,
            birth_date=payload.birth_date,
            voter=voter,
            nominated_by=payload.nominated_by,
        )
    return Status(201, candidate_out(made))


@router.post(
    "/elections/{election_id}/candidates/confirm",
    response={200: ConfirmOut, **WRITE_ERRORS},
    summary="确定正式候选人",
    operation_id="elections_confirm_candidates",
)
def confirm(request: Any, election_id: int, payload: ConfirmIn) -> dict[str, Any]:
    user = request.auth
    election = election_of(user, election_id)
    chosen = list(
        Candidate.objects.restrict(user, Action.VIEW)
        .filter(election=election)
        .filter(pk__in=payload.candidates)
    )
    if len(chosen) != len(set(payload.candidates)):
        raise InvalidInput("candidates：有候选人不属于本次选举", {"candidates": "unknown"})
    with acting_as(user, "api"):
        return {"confirmed": confirm_candidates(user, election, chosen)}


@router.post(
    "/candidates/{candidate_id}/withdraw",
    response={200: CandidateOut, **WRITE_ERRORS},
    summary="候选人退出",
    operation_id="elections_withdraw_candidate",
)
def withdraw(request: Any, candidate_id: int, payload: WithdrawIn) -> dict[str, Any]:
    user = request.auth
    candidate = one(visible(user, Candidate), candidate_id, "候选人不存在或不在你的管辖范围内")
    with acting_as(user, "api"):
        return candidate_out(withdraw_candidate(user, candidate, reason=payload.reason))


@router.get(
    "/elections/{election_id}/boxes",
    response={200: BoxPage, **READ_ERRORS},
    summary="票箱及得票",
    operation_id="elections_list_boxes",
)
def list_boxes(
    request: Any, election_id: int, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    user = request.auth
    qs = BallotBox.objects.restrict(user, Action.VIEW).filter(election=election_of(user, election_id))
    return paginate(
        qs.prefetch_related("votes__candidate").order_by("round_no", "id"), page, page_size, box_out
    )


@router.post(
    "/elections/{election_id}/boxes",
    response={201: BoxOut, **WRITE_ERRORS},
    summary="录入票箱",
    operation_id="elections_record_box",
)
def create_box(request: Any, election_id: int, payload: BoxIn) -> Status[dict[str, Any]]:
    """A box of the ballot being voted; the same name again replaces it until the count."""
    user = request.auth
    election = election_of(user, election_id)
    with acting_as(user, "api"):
        box = record_box(
            user,
            election,
            kind=payload.kind,
            name=payload.name,
            issued=payload.issued,
            cast=payload.cast,
            invalid=payload.invalid,
            votes=payload.votes,
        )
    found = (
        BallotBox.objects.restrict(user, Action.VIEW)
        .filter(election=election)
        .prefetch_related("votes__candidate")
        .get(pk=box.pk)
    )
    return Status(201, box_out(found))


@router.get(
    "/elections/{election_id}/counts",
    response={200: CountPage, **READ_ERRORS},
    summary="计票结果",
    operation_id="elections_list_counts",
)
def list_counts(
    request: Any, election_id: int, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    user = request.auth
    qs = (
        Count.objects.restrict(user, Action.VIEW)
        .filter(election=election_of(user, election_id))
        .select_related("election")
        .order_by("round_no", "id")
    )
    return paginate(qs, page, page_size, count_out)


@router.get(
    "/elections/{election_id}/members",
    response={200: ElectedMemberPage, **READ_ERRORS},
    summary="当选成员",
    operation_id="elections_list_members",
)
def list_members(
    request: Any, election_id: int, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    user = request.auth
    qs = (
        Member.objects.restrict(user, Action.VIEW)
        .filter(election=election_of(user, election_id))
        .select_related("candidate")
    )
    return paginate(qs.order_by("round_no", "-votes", "id"), page, page_size, member_out)


@router.get(
    "/elections/{election_id}/results.pdf",
    response={200: None, **READ_ERRORS},
    summary="选举结果公告（PDF）",
    operation_id="elections_results_pdf",
)
def results_pdf(request: Any, election_id: int) -> HttpResponse:
    user = request.auth
    election = election_of(user, election_id)
    boxes, counts, members = results.rows_of(user, election)
    response = HttpResponse(
        results.announcement(election, boxes, counts, members), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="election-{election.pk}-results.pdf"'
    return response
