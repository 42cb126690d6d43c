"""Volunteers under /api/v1/community/: the teams (list, register, one, change), the register
(list with the page's FilterSet, register, one with its totals, change; phones always masked),
a volunteer's ledger and certificate (PDF), the steps of the volunteer machine (confirm and
reverse hours, leave, rejoin), the street's hours (by month, top teams), and an activity's
volunteer posts: list, the post steps of the activity's machine (add a post, assign, mark
absent) and the served posts confirmed in one go."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from django.db.models import Prefetch, QuerySet
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
    action_bodies,
    action_endpoint,
    action_request_body,
    make_etag,
    params_schema,
    run_json_action,
)

from .. import volunteer_hours as hours
from ..actions import volunteers as actions
from ..actions.frames import ACTIVITY_FRAME, VOLUNTEER_FRAME
from ..choices import ActivityAction, PostStatus, Skill, TeamKind, VolunteerStatus
from ..filters.volunteers import filtered
from ..models import Activity, HoursEntry, SlotAssignment, Team, Volunteer, VolunteerSlot
from ..querysets import OWN_ROWS_ONLY, VIEW
from ..workflow import ACTIVITY_MACHINE, VOLUNTEER_MACHINE

router = Router(tags=["community"])
POST_ACTIONS = (ActivityAction.ADD_SLOT, ActivityAction.ASSIGN_VOLUNTEER, ActivityAction.MARK_ABSENT)


# ---------------------------------------------------------------------------- schemas


class TeamRef(Schema):
    id: int
    name: str


class TeamOut(Schema):
    id: int
    name: str
    kind: TeamKind
    kind_label: str
    partner: str
    contact_name: str
    contact_phone: str = Field(description="联系电话（遮蔽显示）")
    active: bool


class TeamPage(PageOut):
    results: list[TeamOut]


class TeamIn(Schema):
    street: int = Field(description="街道 id（须在调用者的管辖范围内）")
    name: str = Field(max_length=80)
    kind: TeamKind
    partner: str = Field("", max_length=80)
    contact_name: str = Field("", max_length=40)
    contact_phone: str = Field("", max_length=30)


class TeamPatch(Schema):
    name: str | None = Field(None, max_length=80)
    kind: TeamKind | None = None
    partner: str | None = Field(None, max_length=80)
    contact_name: str | None = Field(None, max_length=40)
    contact_phone: str | None = Field(None, max_length=30, description="空字符串：保持不变")
    active: bool | None = None


class VolunteerOut(Schema):
    id: int
    code: str = Field(description="志愿者编号（街道内）")
    name: str
    phone: str = Field(description="联系电话（遮蔽显示；完整号码经网页的查看记录取得）")
    team: TeamRef | None
    area: int | None
    skills: list[Skill]
    availability: str
    joined_on: date
    status: VolunteerStatus
    status_label: str
    version: int


class VolunteerPage(PageOut):
    results: list[VolunteerOut]


class TotalsOut(Schema):
    year: int
    this_year: Decimal = Field(description="本年度时长（含冲销）")
    all_time: Decimal
    years: list[tuple[int, Decimal]] = Field(description="各年度时长，新的在前")


class VolunteerDetailOut(VolunteerOut):
    totals: TotalsOut
    actions: list[str] = Field(description="调用者现在可以执行的操作")


class VolunteerIn(Schema):
    street: int = Field(description="街道 id（须在调用者的管辖范围内）")
    name: str = Field("", max_length=50, description="选了居民或账号时可留空")
    phone: str = Field("", max_length=30)
    person: int | None = Field(None, description="实有人口 id")
    user: int | None = Field(None, description="志愿者本人的居民账号 id")
    team: int | None = None
    area: int | None = Field(None, description="居民区 id")
    skills: list[Skill] = Field(default_factory=list, max_length=len(Skill))
    availability: str = Field("", max_length=80)
    joined_on: date | None = None


class VolunteerPatch(Schema):
    version: int | None = Field(None, description="你读到的版本；已过期则 409")
    name: str | None = Field(None, max_length=50)
    phone: str | None = Field(None, max_length=30, description="空字符串：保持不变")
    person: int | None = None
    user: int | None = None
    team: int | None = None
    area: int | None = None
    skills: list[Skill] | None = Field(None, max_length=len(Skill))
    availability: str | None = Field(None, max_length=80)


class VolunteerFilters(Schema):
    team: int | None = Field(None, ge=1, le=MAX_ID, description="团队 id")
    skill: Skill | None = None
    status: VolunteerStatus | None = None
    q: str | None = Field(None, max_length=50, description="姓名包含，或编号")


class EntryOut(Schema):
    id: int
    served_on: date
    hours: Decimal = Field(description="时长；冲销记录为负数")
    running_total: Decimal = Field(description="到本条为止的累计")
    description: str
    team: TeamRef | None = Field(description="确认时所在团队")
    activity: int | None
    assignment: int | None
    reverses: int | None = Field(description="冲销的记录 id")
    reversed: bool = Field(description="已被冲销")
    confirmed_by: str
    confirmed_at: datetime


class YearFilter(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="年度（默认今年）")


class MonthOut(Schema):
    month: int
    hours: Decimal


class TeamHoursOut(Schema):
    team: TeamRef
    hours: Decimal


class StreetHoursOut(Schema):
    year: int
    total: Decimal
    months: list[MonthOut]
    top_teams: list[TeamHoursOut]
    active_volunteers: int


class PostAssignmentOut(Schema):
    id: int
    volunteer: int
    volunteer_code: str
    volunteer_name: str
    status: PostStatus


class PostOut(Schema):
    id: int
    title: str
    needed: int
    hours: Decimal
    skill: str
    assignments: list[PostAssignmentOut]


class ConfirmServiceIn(Schema):
    assignments: list[int] = Field(description="本活动已服务的岗位安排 id", min_length=1, max_length=500)


# ---------------------------------------------------------------------------- look-ups


def _visible(user: Any, model: Any) -> QuerySet[Any]:
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看志愿服务")
    return model.objects.restrict(user, Action.VIEW)  # type: ignore[no-any-return]


def _one(rows: QuerySet[Any], pk: int, missing: str) -> Any:
    found = rows.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise NotFound(missing)
    return found


def _volunteer(user: Any, volunteer_id: int) -> Volunteer:
    rows = _visible(user, Volunteer).select_related("team")
    return _one(rows, volunteer_id, "志愿者不存在或不在你的管辖范围内")  # type: ignore[no-any-return]


def _team(user: Any, team_id: int) -> Team:
    return _one(_visible(user, Team), team_id, "志愿团队不存在或不在你的管辖范围内")  # type: ignore[no-any-return]


def _activity(user: Any, activity_id: int) -> Activity:
    """An activity whose posts the caller may read (the staff's: not a resident's)."""
    if capabilities.may(user, OWN_ROWS_ONLY):
        raise Forbidden("居民不能查看活动的志愿岗位")
    return _one(_visible(user, Activity), activity_id, "活动不存在或不在你的管辖范围内")  # type: ignore[no-any-return]


def team_out(team: Team) -> dict[str, Any]:
    return {
        "id": team.pk,
        "name": team.name,
        "kind": team.kind,
        "kind_label": team.get_kind_display(),  # type: ignore[attr-defined]
        "partner": team.partner,
        "contact_name": team.contact_name,
        "contact_phone": str(team.contact_phone or ""),
        "active": team.active,
    }


def volunteer_out(v: Volunteer) -> dict[str, Any]:
    return {
        "id": v.pk,
        "code": v.code,
        "name": v.name,
        "phone": str(v.phone or ""),
        "team": {"id": v.team.pk, "name": v.team.name} if v.team else None,
        "area": v.area_id,
        "skills": v.skills,
        "availability": v.availability,
        "joined_on": v.joined_on,
        "status": v.status,
        "status_label": v.get_status_display(),  # type: ignore[attr-defined]
        "version": v.version,
    }


def _detail(v: Volunteer, user: Any) -> dict[str, Any]:
    totals = hours.person_totals(v, _visible(user, HoursEntry))
    return {
        **volunteer_out(v),
        "totals": {
            "year": totals.year,
            "this_year": totals.this_year,
            "all_time": totals.all_time,
            "years": totals.years,
        },
        "actions": VOLUNTEER_MACHINE.allowed_actions(v, user),
    }


def _changes(body: Schema) -> dict[str, Any]:
    """A patch's given fields, enums by value, ids as the actions take them."""
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    return {
        k: [getattr(s, "value", s) for s in v] if k == "skills" else getattr(v, "value", v)
        for k, v in changes.items()
    }


# ---------------------------------------------------------------------------- teams


@router.get(
    "/teams", response={200: TeamPage, **READ_ERRORS}, summary="志愿团队", operation_id="community_list_teams"
)
def list_teams(request: Any, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE) -> dict[str, Any]:
    rows = _visible(request.auth, Team).order_by("-active", "name", "pk")
    return paginate(rows, page, page_size, team_out)


@router.post(
    "/teams",
    response={201: TeamOut, **WRITE_ERRORS},
    summary="登记志愿团队",
    operation_id="community_create_team",
)
def post_team(request: Any, body: TeamIn) -> Status[dict[str, Any]]:
    user = request.auth
    with acting_as(user, "api"):
        made = actions.create_team(user, **body.model_dump(mode="python") | {"kind": body.kind.value})
    return Status(201, team_out(made))


@router.get(
    "/teams/{team_id}",
    response={200: TeamOut, **READ_ERRORS},
    summary="志愿团队详情",
    operation_id="community_get_team",
)
def get_team(request: Any, team_id: int) -> dict[str, Any]:
    return team_out(_team(request.auth, team_id))


@router.patch(
    "/teams/{team_id}",
    response={200: TeamOut, **WRITE_ERRORS},
    summary="修改志愿团队",
    operation_id="community_update_team",
)
def patch_team(request: Any, team_id: int, body: TeamPatch) -> dict[str, Any]:
    user = request.auth
    team = _team(user, team_id)
    with acting_as(user, "api"):
        actions.update_team(user, team, **_changes(body))
    return team_out(_team(user, team_id))


# ---------------------------------------------------------------------------- the register


@router.get(
    "/volunteers",
    response={200: VolunteerPage, **READ_ERRORS},
    summary="志愿者",
    operation_id="community_list_volunteers",
)
def list_volunteers(
    request: Any,
    filters_: Query[VolunteerFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The volunteers the caller may see (a resident: their own record), filtered as the page is."""
    user = request.auth
    params = {k: getattr(v, "value", v) for k, v in filters_.model_dump(exclude_none=True).items()}
    rows = filtered(params, _visible(user, Volunteer).select_related("team"), user).order_by("code", "pk")
    return paginate(rows, page, page_size, volunteer_out)


@router.post(
    "/volunteers",
    response={201: VolunteerDetailOut, **WRITE_ERRORS},
    summary="登记志愿者",
    operation_id="community_register_volunteer",
)
def post_volunteer(request: Any, body: VolunteerIn) -> Status[dict[str, Any]]:
    """Numbered V0001… in the street; `person` links a registry person, `user` a resident's account."""
    user = request.auth
    values = body.model_dump(mode="python", exclude_none=True)
    values["skills"] = [s.value for s in body.skills]
    with acting_as(user, "api"):
        made = actions.register_volunteer(user, **values)
    return Status(201, _detail(_volunteer(user, made.pk), user))


@router.get(
    "/volunteers/{volunteer_id}",
    response={200: VolunteerDetailOut, **READ_ERRORS},
    summary="志愿者详情（含时长合计）",
    operation_id="community_get_volunteer",
)
def get_volunteer(request: Any, response: HttpResponse, volunteer_id: int) -> dict[str, Any]:
    user = request.auth
    volunteer = _volunteer(user, volunteer_id)
    response["ETag"] = make_etag(volunteer, user.pk)
    return _detail(volunteer, user)


@router.patch(
    "/volunteers/{volunteer_id}",
    response={200: VolunteerDetailOut, **WRITE_ERRORS},
    summary="修改志愿者信息",
    operation_id="community_update_volunteer",
)
def patch_volunteer(request: Any, volunteer_id: int, body: VolunteerPatch) -> dict[str, Any]:
    """A new `team` counts the hours confirmed from now on; the ledger keeps each entry's team."""
    user = request.auth
    volunteer = _volunteer(user, volunteer_id)
    with acting_as(user, "api"):
        actions.update_volunteer(user, volunteer, version=body.version, **_changes(body))
    return _detail(_volunteer(user, volunteer_id), user)


@router.get(
    "/volunteers/{volunteer_id}/hours",
    response={200: list[EntryOut], **READ_ERRORS},
    summary="志愿者的服务时长台账（含累计）",
    operation_id="community_volunteer_hours",
)
def volunteer_hours(request: Any, volunteer_id: int) -> list[dict[str, Any]]:
    user = request.auth
    volunteer = _volunteer(user, volunteer_id)
    return [
        {
            "id": e.pk,
            "served_on": e.served_on,
            "hours": e.hours,
            "running_total": running,
            "description": e.description,
            "team": {"id": e.team.pk, "name": e.team.name} if e.team else None,
            "activity": e.activity_id,
            "assignment": e.assignment_id,
            "reverses": e.reverses_id,
            "reversed": bool(e.reversed_count),  # type: ignore[attr-defined]
            "confirmed_by": e.confirmed_by.full_name or e.confirmed_by.username,
            "confirmed_at": e.confirmed_at,
        }
        for e, running in hours.ledger(volunteer, _visible(user, HoursEntry))
    ]


@router.get(
    "/volunteers/{volunteer_id}/certificate.pdf",
    response={200: None, **READ_ERRORS},
    summary="志愿服务时长证明（PDF）",
    operation_id="community_volunteer_certificate",
)
def volunteer_certificate(request: Any, volunteer_id: int, filters_: Query[YearFilter]) -> HttpResponse:
    user = request.auth
    volunteer = _volunteer(user, volunteer_id)
    year = filters_.year or clock.today().year
    sheet = hours.certificate(volunteer, year, _visible(user, HoursEntry))
    response = HttpResponse(hours.certificate_pdf(sheet), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="volunteer-{volunteer.code}-{year}.pdf"'
    return response


VOLUNTEER_BODIES = action_bodies(
    VOLUNTEER_FRAME, "Volunteer", "你读到的志愿者版本（If-Match 亦可）；已过期则 409"
)
VolunteerActionName = Enum("VolunteerActionName", {a.upper(): a for a in VOLUNTEER_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/volunteers/{volunteer_id}/actions/{action}",
    response={200: VolunteerDetailOut, **WRITE_ERRORS},
    summary="办理志愿者（确认、冲销服务时长，退出，重新登记）",
    operation_id="community_volunteer_action",
    openapi_extra=action_request_body(VOLUNTEER_BODIES, {"version": 1, "assignment": 12}),
)
def volunteer_action(
    request: Any, response: HttpResponse, volunteer_id: int, action: VolunteerActionName
) -> dict[str, Any]:
    """Runs `action` with the JSON object in the body as its parameters: confirming a post's
    hours twice or reversing an entry twice is a 409, as is a stale version; 403 when the
    caller's role may not take it, 400 naming a bad parameter."""
    user = request.auth
    after = action_endpoint(
        request,
        response,
        VOLUNTEER_FRAME,
        action.value,
        lambda: _volunteer(user, volunteer_id),
        lambda v: make_etag(v, user.pk),
    )
    return _detail(after, user)


@router.get(
    "/volunteer-hours",
    response={200: StreetHoursOut, **READ_ERRORS},
    summary="志愿服务时长（按月、团队排名）",
    operation_id="community_volunteer_totals",
)
def street_hours(request: Any, filters_: Query[YearFilter]) -> dict[str, Any]:
    """The year's confirmed hours of the caller's streets by month (reversals included), the
    top teams and the active volunteers."""
    user = request.auth
    year = filters_.year or clock.today().year
    entries = _visible(user, HoursEntry)
    months = hours.months(entries, year)
    return {
        "year": year,
        "total": sum((n for _, n in months), hours.ZERO),
        "months": [{"month": m, "hours": n} for m, n in months],
        "top_teams": [
            {"team": {"id": t["team"], "name": t["team__name"]}, "hours": t["hours"]}
            for t in hours.top_teams(entries, year)
        ],
        "active_volunteers": _visible(user, Volunteer).filter(status=VolunteerStatus.ACTIVE).count(),
    }


# ---------------------------------------------------------------------------- an activity's posts


def _posts(user: Any, activity: Activity) -> list[dict[str, Any]]:
    assignments = _visible(user, SlotAssignment).select_related("volunteer").order_by("pk")
    slots = (
        _visible(user, VolunteerSlot)
        .filter(activity=activity)
        .prefetch_related(Prefetch("assignments", queryset=assignments))
        .order_by("pk")
    )
    return [
        {
            "id": s.pk,
            "title": s.title,
            "needed": s.needed,
            "hours": s.hours,
            "skill": s.skill,
            "assignments": [
                {
                    "id": a.pk,
                    "volunteer": a.volunteer_id,
                    "volunteer_code": a.volunteer.code,
                    "volunteer_name": a.volunteer.name,
                    "status": a.status,
                }
                for a in s.assignments.all()
            ],
        }
        for s in slots
    ]


@router.get(
    "/activities/{activity_id}/posts",
    response={200: list[PostOut], **READ_ERRORS},
    summary="活动的志愿岗位与安排",
    operation_id="community_activity_posts",
)
def activity_posts(request: Any, activity_id: int) -> list[dict[str, Any]]:
    user = request.auth
    return _posts(user, _activity(user, activity_id))


POST_BODIES: dict[str, type[Schema]] = {
    action.value: params_schema(
        "Post" + "".join(p.capitalize() for p in action.split("_")) + "Params",
        ACTIVITY_MACHINE[action.value].params,
        "你读到的活动版本；已过期则 409",
    )
    for action in POST_ACTIONS
}
PostActionName = Enum("PostActionName", {a.upper(): a for a in POST_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/activities/{activity_id}/posts/actions/{action}",
    response={200: list[PostOut], **WRITE_ERRORS},
    summary="志愿岗位（设置岗位、安排志愿者、登记未到岗）",
    operation_id="community_activity_post_action",
    openapi_extra=action_request_body(POST_BODIES, {"title": "签到引导", "needed": 2, "hours": 3}),
)
def activity_post_action(request: Any, activity_id: int, action: PostActionName) -> list[dict[str, Any]]:
    """A post step under the activity's lock: a full post or a volunteer already on one of
    the activity's posts is a 409 naming it; an inactive volunteer a 400."""
    user = request.auth
    current = _activity(user, activity_id)
    run_json_action(
        request, ACTIVITY_FRAME, current.pk, action.value, lambda: current, lambda a: make_etag(a, user.pk)
    )
    return _posts(user, _activity(user, activity_id))


@router.post(
    "/activities/{activity_id}/posts/confirm",
    response={200: list[PostOut], **WRITE_ERRORS},
    summary="确认活动志愿岗位的服务时长（一次多人）",
    operation_id="community_activity_posts_confirm",
)
def activity_posts_confirm(request: Any, activity_id: int, body: ConfirmServiceIn) -> list[dict[str, Any]]:
    """Each assignment's hours into its volunteer's ledger, all or none (409 when one was
    confirmed already); the posts afterwards."""
    user = request.auth
    activity = _activity(user, activity_id)
    chosen = list(
        _visible(user, SlotAssignment)
        .filter(slot__activity=activity, pk__in=[i for i in body.assignments if 0 < i <= MAX_ID])
        .select_related("slot", "slot__activity")
        .order_by("pk")
    )
    if len(chosen) != len(set(body.assignments)):
        raise InvalidInput("岗位安排不属于本活动", {"assignments": "not_found"})
    with acting_as(user, "api"):
        actions.confirm_served(user, chosen)
    return _posts(user, activity)
