"""Rounds and elections under /api/v1/elections/: the rounds the caller may see, a new round
(one election per committee), one round with its effective rules (and their source) and
override history, a rule override, the street-wide board; the elections (filters by round,
status, method), one election with its milestones, and every step of the machine through one
endpoint (its body the action's declared parameters, the version check of If-Match)."""

from datetime import date
from enum import Enum
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from civicgrid.core import capabilities
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    AreaRef,
    LocalDateTime,
    action_bodies,
    action_request_body,
    make_etag,
    run_json_action,
)
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .. import overview
from ..actions.elections import ELECTION_FRAME
from ..actions.rounds import create_round, override_rule
from ..choices import ElectionStatus, Method
from ..models import Election, ElectionRound
from ..workflow import ELECTIONS

router = Router(tags=["elections"])
VIEW = "elections.view"


class RoundOut(Schema):
    id: int
    name: str
    year: int
    street: AreaRef
    election_day: date
    version: int
    elections: int = Field(description="调用者可见的居委会选举数")


class RoundPage(PageOut):
    results: list[RoundOut]


class RuleOut(Schema):
    key: str
    label: str
    value: int | str = Field(description="现行值；比例写作“分子/分母”")
    source: str = Field(description="law：法定默认；street：街道配置；round：本届调整")


class OverrideOut(Schema):
    key: str
    value: int | str
    previous: int | str
    reason: str
    set_by: str
    set_at: LocalDateTime


class ElectionStatusCountOut(Schema):
    status: ElectionStatus
    label: str
    count: int


class RoundDetailOut(RoundOut):
    rules: list[RuleOut]
    overrides: list[OverrideOut] = Field(description="规则调整记录，新的在前")
    statuses: list[ElectionStatusCountOut] = Field(description="各进度的居委会数")


class RoundIn(Schema):
    street: str = Field(description="街道编码")
    name: str = Field(max_length=60)
    year: int = Field(ge=2000, le=2100)
    election_day: date
    method: Method = Method.DIRECT
    seats: int = Field(7, ge=1, le=30)
    committees: bool = Field(True, description="为街道的每个居民区建立选举")


class RuleIn(Schema):
    key: str = Field(description="规则名，如 proxy_limit、turnout_quorum")
    value: int | str = Field(description="整数；比例写作“2/3”或“0.6”")
    reason: str = Field(max_length=2000, description="调整理由（必填）")


class CellOut(Schema):
    step: str
    label: str
    planned_on: date | None
    done_on: date | None
    state: str = Field(description="done / soon（7 天内到期）/ late（逾期未完成）/ planned / unplanned")


class ElectionOut(Schema):
    id: int
    round: int
    area: AreaRef
    method: Method
    seats: int
    vice_chairs: int
    term_years: int
    election_day: date
    status: ElectionStatus
    status_label: str
    ballot_no: int
    version: int
    next_step: str | None = Field(description="下一个未完成的步骤")
    next_planned_on: date | None
    late: bool = Field(description="有计划日期已过仍未完成的步骤（暂缓的不计）")


class ElectionPage(PageOut):
    results: list[ElectionOut]


class ElectionDetailOut(ElectionOut):
    milestones: list[CellOut]
    actions: list[str] = Field(description="调用者现在可以执行的操作")


class BoardOut(Schema):
    round: RoundOut
    statuses: list[ElectionStatusCountOut]
    late: int = Field(description="有逾期步骤的居委会数")
    rows: list[ElectionDetailOut]


class ElectionFilters(Schema):
    round: int | None = Field(None, description="届次 id")
    status: ElectionStatus | None = None
    method: Method | None = None


def _rounds(user: Any) -> QuerySet[ElectionRound]:
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看换届选举")
    elections = Election.objects.restrict(user, Action.VIEW)
    return (
        ElectionRound.objects.restrict(user, Action.VIEW)
        .select_related("street")
        .annotate(committees=Count("elections", filter=Q(elections__in=elections)))
        .order_by("-year", "-election_day", "street__code", "pk")
    )


def _round(user: Any, round_id: int) -> ElectionRound:
    found = _rounds(user).filter(pk=round_id).first() if 0 < round_id <= MAX_ID else None
    if found is None:
        raise NotFound("届次不存在或不在你的管辖范围内")
    return found


def _elections(user: Any) -> QuerySet[Election]:
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看换届选举")
    return overview.with_milestones(
        Election.objects.restrict(user, Action.VIEW).order_by("round_id", "area__code", "pk")
    )


def _election(user: Any, election_id: int) -> Election:
    found = _elections(user).filter(pk=election_id).first() if 0 < election_id <= MAX_ID else None
    if found is None:
        raise NotFound("选举不存在或不在你的管辖范围内")
    return found


def round_out(election_round: ElectionRound) -> dict[str, Any]:
    return {
        "id": election_round.pk,
        "name": election_round.name,
        "year": election_round.year,
        "street": {"code": election_round.street.code, "name": election_round.street.name},
        "election_day": election_round.election_day,
        "version": election_round.version,
        "elections": election_round.committees,  # type: ignore[attr-defined]
    }


def _counts(rows: list[overview.Row]) -> list[dict[str, Any]]:
    return [
        {"status": status, "label": str(label), "count": n}
        for status, label, n in overview.status_counts(rows)
    ]


def round_detail_out(user: Any, election_round: ElectionRound) -> dict[str, Any]:
    elections = _elections(user).filter(round=election_round)
    return {
        **round_out(election_round),
        "rules": [
            {"key": r.key, "label": str(r.label), "value": r.value, "source": r.source}
            for r in overview.rule_rows(election_round)
        ],
        # The round was found in the caller's scope; its history comes with it.
        "overrides": [
            {
                "key": o.key,
                "value": o.value,
                "previous": o.previous,
                "reason": o.reason,
                "set_by": str(o.set_by) if o.set_by else "",
                "set_at": o.set_at,
            }
            for o in election_round.overrides.select_related("set_by").order_by("-set_at", "-id")
        ],
        "statuses": _counts(overview.rows(elections)),
    }


def election_out(row: overview.Row, user: Any = None) -> dict[str, Any]:
    election, nxt = row.election, row.next
    out = {
        "id": election.pk,
        "round": election.round_id,
        "area": {"code": election.area.code, "name": election.area.name},
        "method": election.method,
        "seats": election.seats,
        "vice_chairs": election.vice_chairs,
        "term_years": election.term_years,
        "election_day": election.election_day,
        "status": election.status,
        "status_label": election.get_status_display(),
        "ballot_no": election.ballot_no,
        "version": election.version,
        "next_step": nxt.step.value if nxt else None,
        "next_planned_on": nxt.planned_on if nxt else None,
        "late": row.late,
    }
    if user is not None:
        out["milestones"] = [
            {
                "step": c.step.value,
                "label": str(c.step.label),
                "planned_on": c.planned_on,
                "done_on": c.done_on,
                "state": c.state,
            }
            for c in row.cells
        ]
        out["actions"] = ELECTIONS.allowed_actions(election, user)
    return out


@router.get(
    "/rounds",
    response={200: RoundPage, **READ_ERRORS},
    summary="换届届次",
    operation_id="elections_list_rounds",
)
def list_rounds(
    request: Any, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    """The rounds the caller may see, newest first."""
    return paginate(_rounds(request.auth), page, page_size, round_out)


@router.post(
    "/rounds",
    response={201: RoundDetailOut, **WRITE_ERRORS},
    summary="组织换届（建立届次及各居委会选举）",
    operation_id="elections_create_round",
)
def post_round(request: Any, body: RoundIn) -> Status[dict[str, Any]]:
    """A street's round with (by default) one election per residential area, each with the
    default plan from the election day. 403 unless the caller is the street's election office;
    409 when the street already has a round that year."""
    user = request.auth
    street = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET, code=body.street).first()
    if street is None:
        raise InvalidInput(f"街道编码“{body.street}”不存在", {"street": "unknown"})
    with acting_as(user, "api"):
        made = create_round(
            user,
            street=street,
            name=body.name,
            year=body.year,
            election_day=body.election_day,
            method=body.method.value,
            seats=body.seats,
            committees=body.committees,
        )
    return Status(201, round_detail_out(user, _round(user, made.pk)))


@router.get(
    "/rounds/{round_id}",
    response={200: RoundDetailOut, **READ_ERRORS},
    summary="届次详情（现行规则及来源、调整记录）",
    operation_id="elections_get_round",
)
def get_round(request: Any, response: HttpResponse, round_id: int) -> dict[str, Any]:
    election_round = _round(request.auth, round_id)
    response["ETag"] = make_etag(election_round, request.auth.pk)
    return round_detail_out(request.auth, election_round)


@router.post(
    "/rounds/{round_id}/rules",
    response={200: RoundDetailOut, **WRITE_ERRORS},
    summary="调整本届选举规则",
    operation_id="elections_override_rule",
)
def post_rule(request: Any, round_id: int, body: RuleIn) -> dict[str, Any]:
    """One rule changed for this round, with the reason; recorded with who and when. A bad
    key or value, an empty reason, or a change that would make a scheduled election's timeline
    impossible is a 400 naming `key`, `value` or `reason`."""
    user = request.auth
    election_round = _round(user, round_id)
    with acting_as(user, "api"):
        override_rule(user, election_round, key=body.key, value=body.value, reason=body.reason)
    return round_detail_out(user, _round(user, round_id))


@router.get(
    "/rounds/{round_id}/board",
    response={200: BoardOut, **READ_ERRORS},
    summary="换届进度总览（每个居委会每个步骤）",
    operation_id="elections_round_board",
)
def round_board(request: Any, round_id: int) -> dict[str, Any]:
    """One row per committee the caller may see, one cell per statutory step in order, each
    coloured against today (done, due soon, late, planned, not planned)."""
    user = request.auth
    election_round = _round(user, round_id)
    rows = overview.rows(_elections(user).filter(round=election_round).select_related("area"))
    return {
        "round": round_out(election_round),
        "statuses": _counts(rows),
        "late": sum(1 for row in rows if row.late),
        "rows": [election_out(row, user) for row in rows],
    }


@router.get(
    "/elections",
    response={200: ElectionPage, **READ_ERRORS},
    summary="居委会选举",
    operation_id="elections_list_elections",
)
def list_elections(
    request: Any,
    filters_: Query[ElectionFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    qs = _elections(request.auth)
    if filters_.round is not None:
        qs = qs.filter(round_id=filters_.round)
    if filters_.status is not None:
        qs = qs.filter(status=filters_.status.value)
    if filters_.method is not None:
        qs = qs.filter(method=filters_.method.value)
    return paginate(qs, page, page_size, lambda e: election_out(overview.rows([e])[0]))


@router.get(
    "/elections/{election_id}",
    response={200: ElectionDetailOut, **READ_ERRORS},
    summary="居委会选举详情（日程）",
    operation_id="elections_get_election",
)
def get_election(request: Any, response: HttpResponse, election_id: int) -> dict[str, Any]:
    user = request.auth
    election = _election(user, election_id)
    response["ETag"] = make_etag(election, *election.milestones.all(), user.pk)
    return election_out(overview.rows([election])[0], user)


ACTION_BODIES = action_bodies(ELECTION_FRAME, "Election", "你读到的选举版本（If-Match 亦可）；已过期则 409")
ElectionActionName = Enum("ElectionActionName", {a.upper(): a for a in ACTION_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/elections/{election_id}/actions/{action}",
    response={200: ElectionDetailOut, **WRITE_ERRORS},
    summary="办理居委会选举的一个步骤",
    operation_id="elections_election_action",
    openapi_extra=action_request_body(ACTION_BODIES, {"version": 1, "note": "选举委员会已张榜公告"}),
)
def election_action(
    request: Any, response: HttpResponse, election_id: int, action: ElectionActionName
) -> dict[str, Any]:
    """Runs `action` with the JSON object in the body as its parameters (`schedule` takes one
    date per step). Pass the `version` you read, or the detail's ETag in `If-Match`: 409 for a
    stale version, 412 for a stale ETag; 409 also when the step is not allowed now (the law's
    guard says why), 403 when the caller's role may not take it, 400 naming a bad parameter."""
    user = request.auth
    current = _election(user, election_id)

    def etag(election: Election) -> str:
        return make_etag(election, *election.milestones.all(), user.pk)

    run_json_action(request, ELECTION_FRAME, current.pk, action.value, lambda: current, etag)
    after = _election(user, election_id)
    response["ETag"] = etag(after)
    return election_out(overview.rows([after])[0], user)
