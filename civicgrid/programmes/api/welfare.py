"""Member units, welfare projects and claims under /api/v1/programmes/: the member register
(list, register, one unit, change it; the contact phone always masked), the welfare projects
(list, create with asks, one with its asks, every step of its machine), a project's asks (list,
add while a draft) and claims (list, claim part of an ask: over-claiming is a 400 naming
`quantity` with the remaining need), one claim and its steps, its confirmation letter (PDF) and
a unit's annual statement."""

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from django.db.models import Prefetch, QuerySet
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
    action_bodies,
    action_endpoint,
    action_request_body,
    make_etag,
    run_json_action,
)
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from ..actions import welfare as actions
from ..actions.frames import CLAIM_FRAME, WELFARE_FRAME
from ..choices import AskKind, ClaimStatus, MemberKind, WelfareStatus
from ..filters import MemberFilterSet, WelfareFilterSet, api_params, filtered
from ..models import Ask, Claim, MemberUnit, WelfareProject
from ..welfare_data import confirmation, statement
from ..workflow import CLAIM_MACHINE, WELFARE_MACHINE

router = Router(tags=["programmes"])
VIEW = "programmes.view"
Quantity = Decimal


# ---------------------------------------------------------------------------- schemas


class MemberRef(Schema):
    id: int
    name: str


class WelfareMemberOut(Schema):
    id: int
    name: str
    kind: MemberKind
    kind_label: str
    streets: list[AreaRef] = Field(description="结对街道")
    address: str
    contact_name: str
    contact_phone: str = Field(description="联系电话（遮蔽显示；完整号码经网页的查看记录取得）")
    note: str
    active: bool
    version: int


class WelfareMemberPage(PageOut):
    results: list[WelfareMemberOut]


class MemberIn(Schema):
    name: str = Field(max_length=100)
    kind: MemberKind
    streets: list[str] = Field(description="结对街道编码（须在调用者的管辖范围内）", max_length=50)
    address: str = Field("", max_length=120)
    contact_name: str = Field("", max_length=40)
    contact_phone: str = Field("", max_length=30)
    note: str = Field("", max_length=2000)


class MemberPatch(Schema):
    version: int | None = Field(None, description="你读到的版本；已过期则 409")
    name: str | None = Field(None, max_length=100)
    kind: MemberKind | None = None
    streets: list[str] | None = Field(
        None, description="调用者管辖范围内的结对街道编码；其他街道保持不变", max_length=50
    )
    address: str | None = Field(None, max_length=120)
    contact_name: str | None = Field(None, max_length=40)
    contact_phone: str | None = Field(None, max_length=30)
    note: str | None = Field(None, max_length=2000)
    active: bool | None = Field(None, description="只能设为 false（停用）")


class AskOut(Schema):
    id: int
    kind: AskKind
    item: str
    unit: str
    quantity: Quantity
    claimed: Quantity = Field(description="有效认领合计（待确认、已确认、已交付、已结项）")
    delivered: Quantity
    remaining: Quantity = Field(description="还可认领")


class AskIn(Schema):
    kind: AskKind
    item: str = Field(max_length=60)
    unit: str = Field(max_length=12)
    quantity: Quantity = Field(description="需求数量，大于 0，最多两位小数")


class WelfareOut(Schema):
    id: int
    street: AreaRef
    year: int
    title: str
    need: str
    place: str
    area: AreaRef | None
    beneficiaries: str
    beneficiary_count: int | None
    deadline: date | None
    status: WelfareStatus
    status_label: str
    published_on: date | None
    version: int
    asks: list[AskOut]


class WelfarePage(PageOut):
    results: list[WelfareOut]


class WelfareDetailOut(WelfareOut):
    actions: list[str] = Field(description="调用者现在可以执行的操作")


class WelfareIn(Schema):
    street: str = Field(description="街道编码")
    year: int = Field(ge=2000, le=2100)
    title: str = Field(max_length=120)
    need: str = Field(max_length=4000)
    place: str = Field("", max_length=120)
    area: str | None = Field(None, description="居民区编码")
    beneficiaries: str = Field("", max_length=120)
    beneficiary_count: int | None = Field(None, ge=1, le=10**7)
    deadline: date | None = None
    asks: list[AskIn] = Field(default_factory=list, max_length=50)


class WelfareFilters(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    street: str | None = Field(None, max_length=32, description="街道编码")
    status: WelfareStatus | None = None


class MemberFilters(Schema):
    q: str | None = Field(None, max_length=50, description="单位名称包含")
    kind: MemberKind | None = None


class StatementFilters(Schema):
    year: int = Field(ge=2000, le=2100, description="年度")


class AskRef(Schema):
    id: int
    kind: AskKind
    item: str
    unit: str


class ClaimOut(Schema):
    id: int
    project: int
    project_title: str
    ask: AskRef
    member: MemberRef
    quantity: Quantity
    delivered_quantity: Quantity | None
    note: str
    number: str = Field(description="认领确认书编号（确认后才有）")
    status: ClaimStatus
    status_label: str
    claimed_on: date
    confirmed_on: date | None
    delivered_on: date | None
    closed_on: date | None
    version: int


class ClaimPage(PageOut):
    results: list[ClaimOut]


class ClaimDetailOut(ClaimOut):
    actions: list[str] = Field(description="调用者现在可以执行的操作")


class ClaimIn(Schema):
    ask: int = Field(description="认领需求 id（本项目的）")
    member: int = Field(description="成员单位 id")
    quantity: Quantity = Field(description="认领数量；超出剩余需求则 400")
    note: str = Field("", max_length=2000)


class TotalOut(Schema):
    kind: AskKind
    label: str
    unit: str
    claimed: Quantity
    delivered: Quantity


class StatementOut(Schema):
    member: MemberRef
    year: int
    claims: list[ClaimOut]
    totals: list[TotalOut] = Field(description="按需求类型和计量单位合计（不含不予确认、已撤回）")


# ---------------------------------------------------------------------------- look-ups


def _visible(user: Any, model: Any) -> QuerySet[Any]:
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看公益项目")
    return model.objects.restrict(user, Action.VIEW)  # type: ignore[no-any-return]


def _one(rows: QuerySet[Any], pk: int, missing: str) -> Any:
    found = rows.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise NotFound(missing)
    return found


def _member(user: Any, member_id: int) -> MemberUnit:
    return _one(
        _visible(user, MemberUnit).prefetch_related("streets"),
        member_id,
        "成员单位不存在或不在你的管辖范围内",
    )


def _welfare(user: Any, welfare_id: int) -> WelfareProject:
    rows = _visible(user, WelfareProject).select_related("street", "area")
    return _one(rows, welfare_id, "公益项目不存在或不在你的管辖范围内")


def _claims(user: Any) -> QuerySet[Claim]:
    return _visible(user, Claim).select_related("ask", "member", "project").order_by("pk")


def _claim(user: Any, claim_id: int) -> Claim:
    return _one(_claims(user), claim_id, "认领不存在或不在你的管辖范围内")


def _street(user: Any, code: str, kind: str = AreaKind.STREET, field: str = "street") -> Area:
    found = Area.objects.restrict(user, Action.VIEW).filter(kind=kind, code=code).first()
    if found is None:
        raise InvalidInput(f"编码“{code}”不存在或不在你的管辖范围内", {field: "unknown"})
    return found


def member_out(member: MemberUnit) -> dict[str, Any]:
    return {
        "id": member.pk,
        "name": member.name,
        "kind": member.kind,
        "kind_label": member.get_kind_display(),  # type: ignore[attr-defined]
        "streets": [{"code": s.code, "name": s.name} for s in member.streets.all()],
        "address": member.address,
        "contact_name": member.contact_name,
        "contact_phone": str(member.contact_phone or ""),
        "note": member.note,
        "active": member.active,
        "version": member.version,
    }


def ask_out(ask: Ask) -> dict[str, Any]:
    return {
        "id": ask.pk,
        "kind": ask.kind,
        "item": ask.item,
        "unit": ask.unit,
        "quantity": ask.quantity,
        "claimed": ask.claimed,
        "delivered": ask.delivered,
        "remaining": ask.remaining,
    }


def welfare_out(project: WelfareProject, user: Any = None) -> dict[str, Any]:
    out = {
        "id": project.pk,
        "street": {"code": project.street.code, "name": project.street.name},
        "year": project.year,
        "title": project.title,
        "need": project.need,
        "place": project.place,
        "area": {"code": project.area.code, "name": project.area.name} if project.area else None,
        "beneficiaries": project.beneficiaries,
        "beneficiary_count": project.beneficiary_count,
        "deadline": project.deadline,
        "status": project.status,
        "status_label": project.get_status_display(),  # type: ignore[attr-defined]
        "published_on": project.published_on,
        "version": project.version,
        # The project was found in the caller's scope; its asks come with it.
        "asks": [ask_out(a) for a in project.asks.all()],
    }
    if user is not None:
        out["actions"] = WELFARE_MACHINE.allowed_actions(project, user)
    return out


def claim_out(claim: Claim, user: Any = None) -> dict[str, Any]:
    out = {
        "id": claim.pk,
        "project": claim.project_id,
        "project_title": claim.project.title,
        "ask": {"id": claim.ask.pk, "kind": claim.ask.kind, "item": claim.ask.item, "unit": claim.ask.unit},
        "member": {"id": claim.member.pk, "name": claim.member.name},
        "quantity": claim.quantity,
        "delivered_quantity": claim.delivered_quantity,
        "note": claim.note,
        "number": claim.number,
        "status": claim.status,
        "status_label": claim.get_status_display(),  # type: ignore[attr-defined]
        "claimed_on": claim.claimed_on,
        "confirmed_on": claim.confirmed_on,
        "delivered_on": claim.delivered_on,
        "closed_on": claim.closed_on,
        "version": claim.version,
    }
    if user is not None:
        out["actions"] = CLAIM_MACHINE.allowed_actions(claim, user)
    return out


# ---------------------------------------------------------------------------- member units


@router.get(
    "/members",
    response={200: WelfareMemberPage, **READ_ERRORS},
    summary="成员单位",
    operation_id="programmes_list_members",
)
def list_members(
    request: Any,
    filters_: Query[MemberFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The member units serving the caller's streets, by name."""
    visible = _visible(request.auth, MemberUnit).prefetch_related("streets").order_by("name", "pk")
    qs = filtered(MemberFilterSet, api_params(filters_), visible, request.auth)
    return paginate(qs, page, page_size, member_out)


@router.post(
    "/members",
    response={201: WelfareMemberOut, **WRITE_ERRORS},
    summary="登记成员单位",
    operation_id="programmes_register_member",
)
def post_member(request: Any, body: MemberIn) -> Status[dict[str, Any]]:
    user = request.auth
    streets = [_street(user, code, field="streets") for code in body.streets]
    with acting_as(user, "api"):
        made = actions.register_member(
            user,
            name=body.name,
            kind=body.kind.value,
            streets=streets,
            address=body.address,
            contact_name=body.contact_name,
            contact_phone=body.contact_phone,
            note=body.note,
        )
    return Status(201, member_out(_member(user, made.pk)))


@router.get(
    "/members/{member_id}",
    response={200: WelfareMemberOut, **READ_ERRORS},
    summary="成员单位详情",
    operation_id="programmes_get_member",
)
def get_member(request: Any, response: HttpResponse, member_id: int) -> dict[str, Any]:
    member = _member(request.auth, member_id)
    response["ETag"] = make_etag(member, request.auth.pk)
    return member_out(member)


@router.patch(
    "/members/{member_id}",
    response={200: WelfareMemberOut, **WRITE_ERRORS},
    summary="修改或停用成员单位",
    operation_id="programmes_update_member",
)
def patch_member(request: Any, member_id: int, body: MemberPatch) -> dict[str, Any]:
    """The fields given change; `active: false` deactivates the unit (it claims no more)."""
    user = request.auth
    member = _member(user, member_id)
    changes = body.model_dump(exclude_unset=True, exclude={"version", "active"})
    changes = {k: v for k, v in changes.items() if v is not None}
    if "streets" in changes:
        changes["streets"] = [_street(user, code, field="streets") for code in changes["streets"]]
    if body.active is True:
        raise InvalidInput("成员单位停用后不能通过接口恢复", {"active": "invalid"})
    with acting_as(user, "api"):
        if changes:
            member = actions.update_member(user, member, version=body.version, **changes)
        if body.active is False:
            actions.deactivate_member(user, member, version=None if changes else body.version)
    return member_out(_member(user, member_id))


@router.get(
    "/members/{member_id}/statement",
    response={200: StatementOut, **READ_ERRORS},
    summary="成员单位年度公益认领清单",
    operation_id="programmes_member_statement",
)
def member_statement(request: Any, member_id: int, filters_: Query[StatementFilters]) -> dict[str, Any]:
    """Every claim of the unit on the year's welfare projects the caller may see, with the
    totals of its live claims per ask kind and unit."""
    user = request.auth
    year = filters_.year
    sheet = statement(_member(user, member_id), year, _visible(user, Claim))
    return {
        "member": {"id": sheet.member.pk, "name": sheet.member.name},
        "year": year,
        "claims": [claim_out(c) for c in sheet.claims],
        "totals": [
            {"kind": t.kind, "label": t.label, "unit": t.unit, "claimed": t.claimed, "delivered": t.delivered}
            for t in sheet.totals
        ],
    }


# ---------------------------------------------------------------------------- welfare projects


def _projects(user: Any) -> QuerySet[WelfareProject]:
    asks = Ask.objects.restrict(user, Action.VIEW).order_by("order", "pk")
    return (
        _visible(user, WelfareProject)
        .select_related("street", "area")
        .prefetch_related(Prefetch("asks", queryset=asks))
        .order_by("-year", "-pk")
    )


@router.get(
    "/welfare",
    response={200: WelfarePage, **READ_ERRORS},
    summary="公益项目",
    operation_id="programmes_list_welfare",
)
def list_welfare(
    request: Any,
    filters_: Query[WelfareFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The welfare projects of the caller's streets with their asks (filters: year, street, status)."""
    qs = filtered(WelfareFilterSet, api_params(filters_), _projects(request.auth), request.auth)
    return paginate(qs, page, page_size, welfare_out)


@router.post(
    "/welfare",
    response={201: WelfareDetailOut, **WRITE_ERRORS},
    summary="登记公益项目（草拟，含认领需求）",
    operation_id="programmes_create_welfare",
)
def post_welfare(request: Any, body: WelfareIn) -> Status[dict[str, Any]]:
    user = request.auth
    street = _street(user, body.street)
    area = _street(user, body.area, AreaKind.RESIDENTIAL, "area") if body.area else None
    with acting_as(user, "api"):
        made = actions.create_welfare(
            user,
            street=street,
            year=body.year,
            title=body.title,
            need=body.need,
            place=body.place,
            area=area,
            beneficiaries=body.beneficiaries,
            beneficiary_count=body.beneficiary_count,
            deadline=body.deadline,
            asks=[a.model_dump(mode="python") | {"kind": a.kind.value} for a in body.asks],
        )
    return Status(201, welfare_out(_one(_projects(user), made.pk, ""), user))


@router.get(
    "/welfare/{welfare_id}",
    response={200: WelfareDetailOut, **READ_ERRORS},
    summary="公益项目详情（认领需求）",
    operation_id="programmes_get_welfare",
)
def get_welfare(request: Any, response: HttpResponse, welfare_id: int) -> dict[str, Any]:
    user = request.auth
    project = _one(_projects(user), welfare_id, "公益项目不存在或不在你的管辖范围内")
    response["ETag"] = make_etag(project, *project.asks.all(), user.pk)
    return welfare_out(project, user)


WELFARE_BODIES = action_bodies(
    WELFARE_FRAME, "Welfare", "你读到的公益项目版本（If-Match 亦可）；已过期则 409"
)
WelfareActionName = Enum("WelfareActionName", {a.upper(): a for a in WELFARE_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/welfare/{welfare_id}/actions/{action}",
    response={200: WelfareDetailOut, **WRITE_ERRORS},
    summary="办理公益项目（发布、结项、撤销）",
    operation_id="programmes_welfare_action",
    openapi_extra=action_request_body(WELFARE_BODIES, {"version": 1, "note": "经街道党工委会议通过"}),
)
def welfare_action(
    request: Any, response: HttpResponse, welfare_id: int, action: WelfareActionName
) -> dict[str, Any]:
    """Runs `action` with the JSON object in the body as its parameters: 409 for a stale
    version or a step not allowed now (e.g. closing with undelivered claims), 403 when the
    caller's role may not take it, 400 naming a bad parameter."""
    user = request.auth
    current = _welfare(user, welfare_id)

    def etag(project: WelfareProject) -> str:
        return make_etag(project, *project.asks.all(), user.pk)

    run_json_action(request, WELFARE_FRAME, current.pk, action.value, lambda: current, etag)
    after = _one(_projects(user), welfare_id, "公益项目不存在或不在你的管辖范围内")
    response["ETag"] = etag(after)
    return welfare_out(after, user)


@router.get(
    "/welfare/{welfare_id}/asks",
    response={200: list[AskOut], **READ_ERRORS},
    summary="公益项目的认领需求",
    operation_id="programmes_list_asks",
)
def list_asks(request: Any, welfare_id: int) -> list[dict[str, Any]]:
    user = request.auth
    project = _welfare(user, welfare_id)
    asks = Ask.objects.restrict(user, Action.VIEW).filter(project=project).order_by("order", "pk")
    return [ask_out(a) for a in asks]


@router.post(
    "/welfare/{welfare_id}/asks",
    response={201: AskOut, **WRITE_ERRORS},
    summary="增加认领需求（草拟项目）",
    operation_id="programmes_add_ask",
)
def post_ask(request: Any, welfare_id: int, body: AskIn) -> Status[dict[str, Any]]:
    user = request.auth
    project = _welfare(user, welfare_id)
    with acting_as(user, "api"):
        ask = actions.add_ask(
            user, project, kind=body.kind.value, item=body.item, unit=body.unit, quantity=body.quantity
        )
    return Status(201, ask_out(ask))


@router.get(
    "/welfare/{welfare_id}/claims",
    response={200: ClaimPage, **READ_ERRORS},
    summary="公益项目的认领",
    operation_id="programmes_list_claims",
)
def list_claims(
    request: Any, welfare_id: int, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    user = request.auth
    project = _welfare(user, welfare_id)
    return paginate(_claims(user).filter(project=project), page, page_size, claim_out)


@router.post(
    "/welfare/{welfare_id}/claims",
    response={201: ClaimDetailOut, **WRITE_ERRORS},
    summary="登记成员单位认领",
    operation_id="programmes_claim",
)
def post_claim(request: Any, welfare_id: int, body: ClaimIn) -> Status[dict[str, Any]]:
    """Member unit `member` claims `quantity` of ask `ask` of this project. 400 naming
    `quantity` when it exceeds the remaining need (the message says how much remains), `ask`
    when the project is not open or past its deadline, `member` for an inactive unit or one
    that does not serve the street."""
    user = request.auth
    project = _welfare(user, welfare_id)
    in_range = 0 < body.ask <= MAX_ID
    ask = (
        Ask.objects.restrict(user, Action.VIEW).filter(project=project, pk=body.ask).first()
        if in_range
        else None
    )
    if ask is None:
        raise InvalidInput("认领需求不属于本项目", {"ask": "not_found"})
    with acting_as(user, "api"):
        made = actions.claim(user, ask=ask, member=body.member, quantity=body.quantity, note=body.note)
    return Status(201, claim_out(_claim(user, made.pk), user))


# ---------------------------------------------------------------------------- claims


@router.get(
    "/claims/{claim_id}",
    response={200: ClaimDetailOut, **READ_ERRORS},
    summary="认领详情",
    operation_id="programmes_get_claim",
)
def get_claim(request: Any, response: HttpResponse, claim_id: int) -> dict[str, Any]:
    user = request.auth
    claim = _claim(user, claim_id)
    response["ETag"] = make_etag(claim, user.pk)
    return claim_out(claim, user)


CLAIM_BODIES = action_bodies(CLAIM_FRAME, "Claim", "你读到的认领版本（If-Match 亦可）；已过期则 409")
ClaimActionName = Enum("ClaimActionName", {a.upper(): a for a in CLAIM_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/claims/{claim_id}/actions/{action}",
    response={200: ClaimDetailOut, **WRITE_ERRORS},
    summary="办理认领（确认、不予确认、登记交付、结项、撤回）",
    operation_id="programmes_claim_action",
    openapi_extra=action_request_body(CLAIM_BODIES, {"version": 1, "delivered_quantity": 30}),
)
def claim_action(
    request: Any, response: HttpResponse, claim_id: int, action: ClaimActionName
) -> dict[str, Any]:
    """Runs `action` with the JSON object in the body as its parameters (delivery evidence
    photos are uploaded on the claim's page). 409 for a stale version or a step not allowed
    now, 403 when the caller's role may not take it, 400 naming a bad parameter."""
    user = request.auth
    after = action_endpoint(
        request,
        response,
        CLAIM_FRAME,
        action.value,
        lambda: _claim(user, claim_id),
        lambda c: make_etag(c, user.pk),
    )
    return claim_out(after, user)


@router.get(
    "/claims/{claim_id}/confirmation.pdf",
    response={200: None, **READ_ERRORS},
    summary="认领确认书（PDF，确认后）",
    operation_id="programmes_claim_confirmation_pdf",
)
def claim_pdf(request: Any, claim_id: int) -> HttpResponse:
    claim = _claim(request.auth, claim_id)
    if not claim.number:
        raise NotFound("认领尚未确认，没有确认书")
    response = HttpResponse(confirmation(claim), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="claim-{claim.number}.pdf"'
    return response
