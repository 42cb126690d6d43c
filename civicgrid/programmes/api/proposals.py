"""Representatives' proposals under /api/v1/programmes/: the sessions (and a new one), the
representatives (and a new one), a session's proposals (and filing one), one proposal (ETag)
with every step of its machine through one endpoint, its answer sheet PDF, and the year's
report started as a background job."""

from datetime import date
from enum import Enum
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from civicgrid.core import capabilities, clock
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    AreaRef,
    JobStarted,
    action_bodies,
    action_request_body,
    job_started,
    make_etag,
    run_json_action,
)
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .. import reports
from ..actions import proposals as actions
from ..actions.frames import PROPOSAL_FRAME
from ..actions.sessions import add_representative, create_session
from ..choices import ProjectCategory, ProposalStatus, Rating, SessionKind
from ..filters import ProposalFilterSet, api_params, filtered
from ..jobs import start_year_report
from ..models import Proposal, Representative, Session
from ..workflow import PROPOSAL_MACHINE

router = Router(tags=["programmes"])
VIEW = "programmes.view"


# ---------------------------------------------------------------------------- schemas


class SessionOut(Schema):
    id: int
    street: AreaRef
    kind: SessionKind
    title: str
    held_on: date
    proposals_until: date | None
    note: str
    proposals: int = Field(description="调用者可见的提案数")


class SessionPage(PageOut):
    results: list[SessionOut]


class ProposalStatusCountOut(Schema):
    status: ProposalStatus
    label: str
    count: int


class HandlingOut(Schema):
    total: int
    assigned: int = Field(description="已交办")
    answered: int
    on_time: int = Field(description="在答复期限内答复")
    late: int = Field(description="超过期限答复")
    overdue: int = Field(description="已过期限仍未答复")
    pending: int = Field(description="期限内尚未答复")
    rated: int
    satisfied: int
    basic: int
    unsatisfied: int
    on_time_rate: float | None = Field(description="按期答复 / 已答复（%）")
    satisfaction_rate: float | None = Field(description="（满意 + 基本满意）/ 已评价（%）")


class SessionDetailOut(SessionOut):
    statuses: list[ProposalStatusCountOut]
    handling: HandlingOut


class SessionIn(Schema):
    street: str = Field(description="街道编码")
    kind: SessionKind
    title: str = Field(max_length=120)
    held_on: date
    proposals_until: date | None = None
    note: str = Field("", max_length=2000)


class RepresentativeOut(Schema):
    id: int
    street: AreaRef
    name: str
    area: AreaRef | None
    affiliation: str
    term_from: date
    term_to: date | None
    active: bool
    linked: bool = Field(description="已关联实有人口")


class RepresentativePage(PageOut):
    results: list[RepresentativeOut]


class ProposalRepresentativeIn(Schema):
    street: str = Field(description="街道编码")
    name: str = Field(max_length=40)
    term_from: date
    term_to: date | None = None
    area: str | None = Field(None, description="居民区编码")
    affiliation: str = Field("", max_length=60)
    person: int | None = Field(None, description="实有人口 id")


class RepresentativeRef(Schema):
    id: int
    name: str


class ProposalOut(Schema):
    id: int
    session: int
    number: int
    title: str
    category: ProjectCategory
    proposer: RepresentativeRef
    status: ProposalStatus
    status_label: str
    merged_into: int | None
    assigned_unit: str = Field(description="承办单位或科室")
    assigned_on: date | None
    deadline: date | None
    answered_on: date | None
    overdue: bool = Field(description="已交办、已过答复期限仍未答复")
    rating: Rating | None
    version: int


class ProposalPage(PageOut):
    results: list[ProposalOut]


class ProposalDetailOut(ProposalOut):
    body: str
    cosigners: list[RepresentativeRef]
    merged: list[int] = Field(description="并入本案的提案 id（本案的答复即其答复）")
    decline_reason: str
    answer: str
    rating_note: str
    rated_on: date | None
    actions: list[str] = Field(description="调用者现在可以执行的操作")


class ProposalIn(Schema):
    proposer: int = Field(description="提案人（代表 id）")
    cosigners: list[int] = Field(default_factory=list, max_length=50, description="附议人（代表 id）")
    title: str = Field(max_length=120)
    body: str = Field(max_length=5000)
    category: ProjectCategory


class ProposalFilters(Schema):
    status: ProposalStatus | None = None
    category: ProjectCategory | None = None


class YearReportIn(Schema):
    street: str = Field(description="街道编码")
    year: int = Field(ge=2000, le=2100)


# ---------------------------------------------------------------------------- look-ups


def _visible(user: Any, model: Any) -> QuerySet[Any]:
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看代表提案")
    return model.objects.restrict(user, Action.VIEW)  # type: ignore[no-any-return]


def _one(rows: QuerySet[Any], pk: int, missing: str) -> Any:
    found = rows.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise NotFound(missing)
    return found


def _sessions(user: Any) -> QuerySet[Session]:
    proposals = Proposal.objects.restrict(user, Action.VIEW)
    return (
        _visible(user, Session)
        .select_related("street")
        .annotate(n=Count("proposals", filter=Q(proposals__in=proposals)))
        .order_by("-held_on", "-pk")
    )


def _session(user: Any, session_id: int) -> Session:
    return _one(_sessions(user), session_id, "会议不存在或不在你的管辖范围内")  # type: ignore[no-any-return]


def _proposals(user: Any) -> QuerySet[Proposal]:
    return (
        _visible(user, Proposal).select_related("proposer", "assigned_unit").order_by("session_id", "number")
    )


def _proposal(user: Any, proposal_id: int) -> Proposal:
    return _one(_proposals(user), proposal_id, "提案不存在或不在你的管辖范围内")  # type: ignore[no-any-return]


def _street(user: Any, code: str) -> Area:
    street = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET, code=code).first()
    if street is None:
        raise InvalidInput("街道编码不存在", {"street": "unknown"})
    return street


def _ref(area: Area | None) -> dict[str, str] | None:
    return {"code": area.code, "name": area.name} if area is not None else None


def session_out(session: Session) -> dict[str, Any]:
    return {
        "id": session.pk,
        "street": _ref(session.street),
        "kind": session.kind,
        "title": session.title,
        "held_on": session.held_on,
        "proposals_until": session.proposals_until,
        "note": session.note,
        "proposals": session.n,  # type: ignore[attr-defined]
    }


def session_detail_out(user: Any, session: Session) -> dict[str, Any]:
    proposals = Proposal.objects.restrict(user, Action.VIEW).filter(session=session)
    return {
        **session_out(session),
        "statuses": reports.by_status(proposals),
        "handling": reports.handling(proposals, clock.today()),
    }


def representative_out(rep: Representative) -> dict[str, Any]:
    return {
        "id": rep.pk,
        "street": _ref(rep.street),
        "name": rep.name,
        "area": _ref(rep.area),
        "affiliation": rep.affiliation,
        "term_from": rep.term_from,
        "term_to": rep.term_to,
        "active": rep.active,
        "linked": rep.person_id is not None,
    }


def proposal_out(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "session": proposal.session_id,
        "number": proposal.number,
        "title": proposal.title,
        "category": proposal.category,
        "proposer": {"id": proposal.proposer_id, "name": proposal.proposer.name},
        "status": proposal.status,
        "status_label": proposal.get_status_display(),
        "merged_into": proposal.merged_into_id,
        "assigned_unit": proposal.assignee_name,
        "assigned_on": proposal.assigned_on,
        "deadline": proposal.deadline,
        "answered_on": proposal.answered_on,
        "overdue": bool(
            proposal.status == ProposalStatus.ASSIGNED
            and proposal.deadline
            and proposal.deadline < clock.today()
        ),
        "rating": proposal.rating or None,
        "version": proposal.version,
    }


def proposal_detail_out(user: Any, proposal: Proposal) -> dict[str, Any]:
    return {
        **proposal_out(proposal),
        "body": proposal.body,
        "cosigners": [{"id": r.pk, "name": r.name} for r in proposal.cosigners.order_by("name", "pk")],
        "merged": list(reports.merged(user, proposal).values_list("pk", flat=True)),
        "decline_reason": proposal.decline_reason,
        "answer": proposal.answer,
        "rating_note": proposal.rating_note,
        "rated_on": proposal.rated_on,
        "actions": PROPOSAL_MACHINE.allowed_actions(proposal, user),
    }


def _etag(user: Any, proposal: Proposal) -> str:
    return make_etag(proposal, user.pk)


# ---------------------------------------------------------------------------- sessions


@router.get(
    "/sessions",
    response={200: SessionPage, **READ_ERRORS},
    summary="代表会议",
    operation_id="programmes_list_sessions",
)
def list_sessions(
    request: Any, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    """The sessions the caller may see, newest first."""
    return paginate(_sessions(request.auth), page, page_size, session_out)


@router.post(
    "/sessions",
    response={201: SessionDetailOut, **WRITE_ERRORS},
    summary="新建代表会议",
    operation_id="programmes_create_session",
)
def post_session(request: Any, body: SessionIn) -> Status[dict[str, Any]]:
    """403 unless the caller keeps the street's representatives' meeting; 400 naming the field."""
    user = request.auth
    if not capabilities.may(user, "programmes.proposals"):
        raise Forbidden("你的角色不能办理代表会议工作")
    with acting_as(user, "api"):
        made = create_session(
            user,
            street=_street(user, body.street),
            kind=body.kind.value,
            title=body.title,
            held_on=body.held_on,
            proposals_until=body.proposals_until,
            note=body.note,
        )
    return Status(201, session_detail_out(user, _session(user, made.pk)))


@router.get(
    "/sessions/{session_id}",
    response={200: SessionDetailOut, **READ_ERRORS},
    summary="代表会议详情（提案按状态、办理情况）",
    operation_id="programmes_get_session",
)
def get_session(request: Any, session_id: int) -> dict[str, Any]:
    return session_detail_out(request.auth, _session(request.auth, session_id))


# ---------------------------------------------------------------------------- representatives


@router.get(
    "/representatives",
    response={200: RepresentativePage, **READ_ERRORS},
    summary="代表名册",
    operation_id="programmes_list_representatives",
)
def list_representatives(
    request: Any, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    rows = (
        _visible(request.auth, Representative)
        .select_related("street", "area")
        .order_by("-active", "street__code", "name", "pk")
    )
    return paginate(rows, page, page_size, representative_out)


@router.post(
    "/representatives",
    response={201: RepresentativeOut, **WRITE_ERRORS},
    summary="登记代表",
    operation_id="programmes_add_representative",
)
def post_representative(request: Any, body: ProposalRepresentativeIn) -> Status[dict[str, Any]]:
    """A representative of the street; `area` a residential area's code, `person` links the
    registry (a person of the same street)."""
    user = request.auth
    if not capabilities.may(user, "programmes.proposals"):
        raise Forbidden("你的角色不能办理代表会议工作")
    street = _street(user, body.street)
    area = None
    if body.area:
        area = Area.objects.restrict(user, Action.VIEW).filter(code=body.area, street=street).first()
        if area is None:
            raise InvalidInput("居民区不在该街道", {"area": "not_found"})
    with acting_as(user, "api"):
        made = add_representative(
            user,
            street=street,
            name=body.name,
            term_from=body.term_from,
            term_to=body.term_to,
            area=area,
            affiliation=body.affiliation,
            person=body.person,
        )
    return Status(201, representative_out(made))


# ---------------------------------------------------------------------------- proposals


@router.get(
    "/sessions/{session_id}/proposals",
    response={200: ProposalPage, **READ_ERRORS},
    summary="会议的代表提案",
    operation_id="programmes_list_proposals",
)
def list_proposals(
    request: Any,
    session_id: int,
    filters_: Query[ProposalFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    user = request.auth
    session = _session(user, session_id)
    qs = filtered(ProposalFilterSet, api_params(filters_), _proposals(user).filter(session=session), user)
    return paginate(qs, page, page_size, proposal_out)


@router.post(
    "/sessions/{session_id}/proposals",
    response={201: ProposalDetailOut, **WRITE_ERRORS},
    summary="登记代表提案（附议人）",
    operation_id="programmes_file_proposal",
)
def post_proposal(request: Any, session_id: int, body: ProposalIn) -> Status[dict[str, Any]]:
    """Filed for the proposer (an active representative of the session's street) with its
    co-signers (others of them), numbered next in the session; 400 naming `proposer`,
    `cosigners` or `session` (filing closed)."""
    user = request.auth
    session = _session(user, session_id)
    with acting_as(user, "api"):
        made = actions.file_proposal(
            user,
            session=session,
            proposer=body.proposer,
            cosigners=body.cosigners,
            title=body.title,
            body=body.body,
            category=body.category.value,
        )
    return Status(201, proposal_detail_out(user, _proposal(user, made.pk)))


@router.get(
    "/proposals/{proposal_id}",
    response={200: ProposalDetailOut, **READ_ERRORS},
    summary="代表提案详情",
    operation_id="programmes_get_proposal",
)
def get_proposal(request: Any, response: HttpResponse, proposal_id: int) -> dict[str, Any]:
    proposal = _proposal(request.auth, proposal_id)
    response["ETag"] = _etag(request.auth, proposal)
    return proposal_detail_out(request.auth, proposal)


ACTION_BODIES = action_bodies(PROPOSAL_FRAME, "Proposal", "你读到的提案版本（If-Match 亦可）；已过期则 409")
ProposalActionName = Enum("ProposalActionName", {a.upper(): a for a in ACTION_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/proposals/{proposal_id}/actions/{action}",
    response={200: ProposalDetailOut, **WRITE_ERRORS},
    summary="办理代表提案（立案、并案、不予立案、交办、答复、评价、重新交办）",
    operation_id="programmes_proposal_action",
    openapi_extra=action_request_body(ACTION_BODIES, {"version": 2, "office": "社区管理办"}),
)
def proposal_action(
    request: Any, response: HttpResponse, proposal_id: int, action: ProposalActionName
) -> dict[str, Any]:
    """Runs `action` with the JSON object in the body as its parameters. `merge` takes `into`
    (a proposal id of the same session); `assign` a `unit` id or an `office` (400 naming `unit`
    without either) and an optional `deadline`. Pass the `version` you read or the ETag in
    `If-Match`: 409 for a stale version or a step not allowed now, 412 for a stale ETag."""
    user = request.auth
    current = _proposal(user, proposal_id)
    run_json_action(
        request, PROPOSAL_FRAME, current.pk, action.value, lambda: current, lambda p: _etag(user, p)
    )
    after = _proposal(user, proposal_id)
    response["ETag"] = _etag(user, after)
    return proposal_detail_out(user, after)


@router.get(
    "/proposals/{proposal_id}/answer.pdf",
    response={200: None, **READ_ERRORS},
    summary="代表提案答复单（PDF）",
    operation_id="programmes_proposal_answer_sheet",
)
def proposal_answer_sheet(request: Any, proposal_id: int) -> HttpResponse:
    proposal = _proposal(request.auth, proposal_id)
    response = HttpResponse(reports.answer_sheet(request.auth, proposal), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="proposal-{proposal.session_id}-{proposal.number}.pdf"'
    )
    return response


# ---------------------------------------------------------------------------- the year's report


@router.post(
    "/reports/year",
    response={202: JobStarted, **WRITE_ERRORS},
    summary="年度代表提案工作报告（PDF，后台任务）",
    operation_id="programmes_year_report",
)
def post_year_report(request: Any, body: YearReportIn) -> Status[dict[str, Any]]:
    """Draws the street's report of the year in the background; follow the job (`job_url`)
    and download the PDF from it."""
    user = request.auth
    if not capabilities.may(user, "programmes.reports"):
        raise Forbidden("你的角色不能生成年度报告")
    job = start_year_report(user, _street(user, body.street), body.year)
    return job_started(job)
