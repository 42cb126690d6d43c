"""/api/v1/elections/ — the register: residents' groups, voters (filters, additions, strikes,
representatives), the build from the registry, objections and their decisions, proxies,
letters and notices, the published list (PDF). Thin: parse, call one action, answer; every
query through restrict()."""

from datetime import date
from enum import Enum, StrEnum
from typing import Annotated, Any

from ninja import Field, Query, Router, Schema, Status

from civicgrid.core import clock
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    READ_ERRORS,
    WRITE_ERRORS,
    JobStarted,
    action_bodies,
    action_request_body,
    job_started,
    make_etag,
    run_json_action,
)

from .. import jobs, register
from ..actions import voters as actions
from ..actions.frames import OBJECTION_FRAME
from ..choices import Basis, MailingKind, ObjectionKind, VoterStatus
from ..models import Election, Mailing, Objection, Proxy, ResidentsGroup, Voter
from .common import election_of, one, visible

router = Router()
VIEW = "elections.view"


# ---------------------------------------------------------------------------- groups


class GroupOut(Schema):
    id: int
    election: int
    number: int
    name: str
    buildings: list[int] = Field(description="楼栋 id")


class GroupPage(PageOut):
    results: list[GroupOut]


class GroupIn(Schema):
    number: int = Field(ge=1, le=999)
    name: str = ""
    buildings: list[int] = Field(default_factory=list, description="本居民区的楼栋 id，每栋只属一个小组")


def group_out(group: ResidentsGroup) -> dict[str, Any]:
    return {
        "id": group.pk,
        "election": group.election_id,
        "number": group.number,
        "name": str(group),
        "buildings": register.building_ids(group.buildings),
    }


@router.get(
    "/elections/{election_id}/groups",
    response={200: GroupPage, **READ_ERRORS},
    summary="居民小组",
    operation_id="elections_list_groups",
)
def list_groups(
    request: Any, election_id: int, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    election = election_of(request.auth, election_id)
    groups = ResidentsGroup.objects.restrict(request.auth, Action.VIEW).filter(election=election)
    return paginate(groups, page, page_size, group_out)


@router.post(
    "/elections/{election_id}/groups",
    response={201: GroupOut, **WRITE_ERRORS},
    summary="划分居民小组",
    operation_id="elections_create_group",
)
def create_group(request: Any, election_id: int, body: GroupIn) -> Status[dict[str, Any]]:
    user = request.auth
    with acting_as(user, "api"):
        group = actions.create_group(
            user, election_of(user, election_id), number=body.number, name=body.name, buildings=body.buildings
        )
    return Status(201, group_out(group))


# ---------------------------------------------------------------------------- voters


class VoterOut(Schema):
    id: int
    election: int
    name: str
    sex: str
    age: int | None = Field(description="选举日周岁（不含出生日期）")
    group: int | None
    basis: str
    source: str
    status: str
    struck_reason: str
    is_household_rep: bool
    is_group_rep: bool
    version: int


class VoterPage(PageOut):
    results: list[VoterOut]


class VoterIn(Schema):
    name: str = ""
    sex: str = Field("", description="M 男 / F 女")
    birth_date: date | None = None
    basis: Basis = Basis.RESIDENT
    person: int | None = Field(None, description="实有人口 id（从登记中补登）")
    group: int | None = None


class StrikeIn(Schema):
    reason: str


class RepresentativeIn(Schema):
    household: bool | None = Field(None, description="户代表")
    group: bool | None = Field(None, description="居民代表")


class BuildOut(Schema):
    added: int
    kept: int
    struck: int


class RepFilter(StrEnum):
    HOUSEHOLD = "household"
    GROUP = "group"
    ANY = "any"


def voter_out(voter: Voter, election_day: date) -> dict[str, Any]:
    return {
        "id": voter.pk,
        "election": voter.election_id,
        "name": voter.name,
        "sex": voter.sex,
        "age": register.age_on(voter.birth_date, election_day) if voter.birth_date else None,
        "group": voter.group_id,
        "basis": voter.basis,
        "source": voter.source,
        "status": voter.status,
        "struck_reason": voter.struck_reason,
        "is_household_rep": voter.is_household_rep,
        "is_group_rep": voter.is_group_rep,
        "version": voter.version,
    }


@router.get(
    "/elections/{election_id}/voters",
    response={200: VoterPage, **READ_ERRORS},
    summary="选民名单",
    operation_id="elections_list_voters",
)
def list_voters(
    request: Any,
    election_id: int,
    group: Annotated[str, Query(description="居民小组 id，none 为未分组")] = "",
    status: Annotated[VoterStatus | None, Query(description="状态")] = None,
    rep: Annotated[RepFilter | None, Query(description="代表")] = None,
    basis: Annotated[Basis | None, Query(description="登记依据")] = None,
    q: Annotated[str, Query(description="姓名包含")] = "",
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    election = election_of(request.auth, election_id)
    if group not in ("", "none") and not group.isdigit():
        raise InvalidInput("group: 须为居民小组 id 或 none", {"group": "invalid"})
    voters = register.filter_voters(
        Voter.objects.restrict(request.auth, Action.VIEW).filter(election=election),
        group=group,
        status=status.value if status else "",
        rep=rep.value if rep else "",
        basis=basis.value if basis else "",
        q=q,
    ).order_by("id")
    return paginate(voters, page, page_size, lambda v: voter_out(v, election.election_day))


def _voter_out(user: Any, voter: Voter) -> dict[str, Any]:
    found = Voter.objects.restrict(user, Action.VIEW).select_related("election").get(pk=voter.pk)
    return voter_out(found, found.election.election_day)


@router.post(
    "/elections/{election_id}/voters",
    response={201: VoterOut, **WRITE_ERRORS},
    summary="补充登记选民",
    operation_id="elections_add_voter",
)
def add_voter(request: Any, election_id: int, body: VoterIn) -> Status[dict[str, Any]]:
    user = request.auth
    with acting_as(user, "api"):
        voter = actions.add_voter(
            user,
            election_of(user, election_id),
            name=body.name,
            sex=body.sex,
            birth_date=body.birth_date,
            basis=body.basis.value,
            person=body.person,
            group=body.group,
        )
    return Status(201, _voter_out(user, voter))


@router.post(
    "/elections/{election_id}/build-register",
    response={200: BuildOut, **WRITE_ERRORS},
    summary="从实有人口生成选民名单",
    operation_id="elections_build_register",
)
def build_register(request: Any, election_id: int) -> dict[str, int]:
    """可重复执行：新增符合条件的人员，不再符合条件的除名（附原因），补登和申诉列入的保留。"""
    user = request.auth
    with acting_as(user, "api"):
        return actions.build_register(user, election_of(user, election_id))


@router.post(
    "/voters/{voter_id}/strike",
    response={200: VoterOut, **WRITE_ERRORS},
    summary="选民除名",
    operation_id="elections_strike_voter",
)
def strike_voter(request: Any, voter_id: int, body: StrikeIn) -> dict[str, Any]:
    user = request.auth
    with acting_as(user, "api"):
        voter = actions.strike_voter(user, voter_id, reason=body.reason)
    return _voter_out(user, voter)


@router.post(
    "/voters/{voter_id}/representative",
    response={200: VoterOut, **WRITE_ERRORS},
    summary="户代表、居民代表",
    operation_id="elections_set_representative",
)
def set_representative(request: Any, voter_id: int, body: RepresentativeIn) -> dict[str, Any]:
    user = request.auth
    with acting_as(user, "api"):
        voter = actions.set_representative(user, voter_id, household=body.household, group=body.group)
    return _voter_out(user, voter)


@router.post(
    "/elections/{election_id}/voter-list",
    response={202: JobStarted, **WRITE_ERRORS},
    summary="打印选民名单公告（PDF，后台任务）",
    operation_id="elections_voter_list_print",
)
def voter_list_print(request: Any, election_id: int) -> Status[dict[str, Any]]:
    """Draws the published list (names, sex and ages only) in the background; follow the job
    (`job_url`) and download the PDF from it."""
    job = jobs.start_voter_list(request.auth, election_of(request.auth, election_id))
    return job_started(job)


# ---------------------------------------------------------------------------- objections


class ObjectionOut(Schema):
    id: int
    election: int
    kind: str
    filed_on: date
    filer_name: str
    subject_name: str
    subject_voter: int | None
    statement: str
    status: str
    decision_due: date
    decided_on: date | None
    decision: str
    late: bool = Field(description="处理（或至今未处理）超过申诉处理期限")
    version: int


class ObjectionPage(PageOut):
    results: list[ObjectionOut]


class ObjectionIn(Schema):
    kind: ObjectionKind
    filer_name: str
    subject_name: str
    statement: str
    subject_voter: int | None = None
    subject_person: int | None = Field(None, description="实有人口 id（应列入而未列入）")


def objection_out(objection: Objection, rules: Any) -> dict[str, Any]:
    return {
        "id": objection.pk,
        "election": objection.election_id,
        "kind": objection.kind,
        "filed_on": objection.filed_on,
        "filer_name": objection.filer_name,
        "subject_name": objection.subject_name,
        "subject_voter": objection.subject_voter_id,
        "statement": objection.statement,
        "status": objection.status,
        "decision_due": register.decision_due(objection.filed_on, rules),
        "decided_on": objection.decided_on,
        "decision": objection.decision,
        "late": register.is_late(objection, rules, clock.today()),
        "version": objection.version,
    }


def _objection(user: Any, objection_id: int) -> Objection:
    rows = visible(user, Objection).select_related("election__round")
    return one(rows, objection_id, "申诉不存在或不在你的管辖范围内")


@router.get(
    "/elections/{election_id}/objections",
    response={200: ObjectionPage, **READ_ERRORS},
    summary="选民名单申诉",
    operation_id="elections_list_objections",
)
def list_objections(
    request: Any, election_id: int, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    election = election_of(request.auth, election_id)
    rules = election.round.rules()
    objections = Objection.objects.restrict(request.auth, Action.VIEW).filter(election=election)
    return paginate(objections, page, page_size, lambda o: objection_out(o, rules))


@router.post(
    "/elections/{election_id}/objections",
    response={201: ObjectionOut, **WRITE_ERRORS},
    summary="受理选民名单申诉",
    operation_id="elections_file_objection",
)
def file_objection(request: Any, election_id: int, body: ObjectionIn) -> Status[dict[str, Any]]:
    """名单公布后、申诉期限内受理；逾期 409。"""
    user = request.auth
    election = election_of(user, election_id)
    with acting_as(user, "api"):
        objection = actions.file_objection(user, election, **{**body.dict(), "kind": body.kind.value})
    return Status(201, objection_out(objection, election.round.rules()))


@router.get(
    "/objections/{objection_id}",
    response={200: ObjectionOut, **READ_ERRORS},
    summary="申诉详情",
    operation_id="elections_get_objection",
)
def get_objection(request: Any, objection_id: int) -> dict[str, Any]:
    objection = _objection(request.auth, objection_id)
    return objection_out(objection, objection.election.round.rules())


ACTION_BODIES = action_bodies(OBJECTION_FRAME, "Objection", "你读到的申诉版本；已过期则 409")
ObjectionActionName = Enum("ObjectionActionName", {a.upper(): a for a in ACTION_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/objections/{objection_id}/actions/{action}",
    response={200: ObjectionOut, **WRITE_ERRORS},
    summary="处理申诉（成立 / 不成立）",
    operation_id="elections_objection_action",
    openapi_extra=action_request_body(ACTION_BODIES, {"version": 1, "decision": "经核实，列入选民名单"}),
)
def objection_action(request: Any, objection_id: int, action: ObjectionActionName) -> dict[str, Any]:
    user = request.auth
    run_json_action(
        request,
        OBJECTION_FRAME,
        objection_id,
        action.value,
        lambda: _objection(user, objection_id),
        make_etag,
    )
    after = _objection(user, objection_id)
    return objection_out(after, after.election.round.rules())


# ---------------------------------------------------------------------------- proxies, mailings


class ProxyOut(Schema):
    id: int
    principal: int
    principal_name: str
    proxy: int
    proxy_name: str
    document: str
    authorised_on: date


class ProxyPage(PageOut):
    results: list[ProxyOut]


class ProxyIn(Schema):
    principal: int = Field(description="委托人（选民 id）")
    proxy: int = Field(description="受委托人（选民 id）")
    document: str = Field(description="书面委托书编号")
    authorised_on: date | None = None


def proxy_out(row: Proxy) -> dict[str, Any]:
    return {
        "id": row.pk,
        "principal": row.principal_id,
        "principal_name": row.principal.name,
        "proxy": row.proxy_id,
        "proxy_name": row.proxy.name,
        "document": row.document,
        "authorised_on": row.authorised_on,
    }


def _proxies(user: Any, election: Election) -> Any:
    return (
        Proxy.objects.restrict(user, Action.VIEW)
        .filter(election=election)
        .select_related("principal", "proxy")
        .order_by("id")
    )


@router.get(
    "/elections/{election_id}/proxies",
    response={200: ProxyPage, **READ_ERRORS},
    summary="委托投票",
    operation_id="elections_list_proxies",
)
def list_proxies(
    request: Any, election_id: int, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    return paginate(
        _proxies(request.auth, election_of(request.auth, election_id)), page, page_size, proxy_out
    )


@router.post(
    "/elections/{election_id}/proxies",
    response={201: ProxyOut, **WRITE_ERRORS},
    summary="登记委托投票",
    operation_id="elections_record_proxy",
)
def record_proxy(request: Any, election_id: int, body: ProxyIn) -> Status[dict[str, Any]]:
    """受委托超过规则上限、同一委托人重复委托时 409。"""
    user = request.auth
    election = election_of(user, election_id)
    with acting_as(user, "api"):
        row = actions.record_proxy(user, election, **body.dict())
    return Status(201, proxy_out(_proxies(user, election).get(pk=row.pk)))


class MailingOut(Schema):
    id: int
    kind: str
    sent_on: date
    sent: int
    receipts: int


class MailingTotalOut(Schema):
    kind: str
    label: str
    sent: int
    receipts: int


class MailingPage(PageOut):
    results: list[MailingOut]
    totals: list[MailingTotalOut]


class MailingIn(Schema):
    kind: MailingKind
    sent: int
    receipts: int = 0
    sent_on: date | None = None


def mailing_out(row: Mailing) -> dict[str, Any]:
    return {
        "id": row.pk,
        "kind": row.kind,
        "sent_on": row.sent_on,
        "sent": row.sent,
        "receipts": row.receipts,
    }


@router.get(
    "/elections/{election_id}/mailings",
    response={200: MailingPage, **READ_ERRORS},
    summary="告居民书与选举通知书",
    operation_id="elections_list_mailings",
)
def list_mailings(
    request: Any, election_id: int, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    election = election_of(request.auth, election_id)
    mailings = Mailing.objects.restrict(request.auth, Action.VIEW).filter(election=election)
    out = paginate(mailings, page, page_size, mailing_out)
    return {**out, "totals": [{**t, "label": str(t["label"])} for t in register.mailing_totals(mailings)]}


@router.post(
    "/elections/{election_id}/mailings",
    response={201: MailingOut, **WRITE_ERRORS},
    summary="登记发放",
    operation_id="elections_record_mailing",
)
def record_mailing(request: Any, election_id: int, body: MailingIn) -> Status[dict[str, Any]]:
    user = request.auth
    with acting_as(user, "api"):
        row = actions.record_mailing(
            user,
            election_of(user, election_id),
            kind=body.kind.value,
            sent=body.sent,
            receipts=body.receipts,
            sent_on=body.sent_on,
        )
    return Status(201, mailing_out(row))
