"""Volunteers and their hours: teams (create, update), the register (`register_volunteer`,
numbered V0001… per street under the street's row lock; `update_volunteer`), the volunteer
posts of an activity (ADD_SLOT, ASSIGN_VOLUNTEER, MARK_ABSENT on the activity's frame, under
the activity's row lock) and the hours ledger on the volunteer's frame (CONFIRM_HOURS — a
served post once, or other service —, REVERSE_HOURS — a negative entry, once —, LEAVE,
REJOIN). The ledger is append-only: nothing here updates or deletes an entry. Every call is
one transaction with its event (core.events) and audit rows (AuditedModel)."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import User
from civicgrid.core import capabilities, clock, events
from civicgrid.core.choices import Action, Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core.frame import FilesContext
from civicgrid.core.inputs import as_id
from civicgrid.core.params import Kind, Param, clean_params
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.residents.models import Person

from ..choices import ActivityAction, PostStatus, Skill, TeamKind, VolunteerAction, VolunteerStatus
from ..models import HoursEntry, SlotAssignment, Team, Volunteer, VolunteerSlot
from .frames import ACTIVITY_FRAME, VOLUNTEER_FRAME

VOLUNTEERS = "community.volunteers"
CREATE_TEAM, UPDATE_TEAM = "create_team", "update_team"
REGISTER, UPDATE = "register", "update"
CODE_PREFIX = "V"
TENTH = Decimal("0.1")


def _people(user: Any) -> Any:
    return Person.objects.restrict(user, Action.VIEW)


def _accounts(user: Any) -> Any:
    """The residents' accounts the actor may see (the street office's; a cadre links the
    registry person instead)."""
    return User.objects.restrict(user, Action.VIEW).filter(is_active=True, role=Role.RESIDENT)


def _teams(user: Any) -> Any:
    return Team.objects.restrict(user, Action.VIEW).filter(active=True)


def _areas(user: Any) -> Any:
    return Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.RESIDENTIAL)


PHONE = Param("phone", gettext_lazy("联系电话"), Kind.TEXT, max_length=30)
TEAM_PARAMS = (
    Param("name", gettext_lazy("团队名称"), Kind.TEXT, required=True, max_length=80),
    Param("kind", gettext_lazy("类型"), Kind.CHOICE, choices=TeamKind, required=True),
    Param("partner", gettext_lazy("合作单位"), Kind.TEXT, max_length=80, help=gettext_lazy("如“同济大学”")),
    Param("contact_name", gettext_lazy("联系人"), Kind.TEXT, max_length=40),
    Param("contact_phone", gettext_lazy("联系电话"), Kind.TEXT, max_length=30),
    Param("active", gettext_lazy("有效"), Kind.BOOL, default=True),
)
VOLUNTEER_PARAMS = (
    Param(
        "name", gettext_lazy("姓名"), Kind.TEXT, max_length=50, help=gettext_lazy("选了居民或账号时可留空")
    ),
    PHONE,
    Param("person", gettext_lazy("居民（实有人口）"), Kind.REF, queryset=_people),
    Param(
        "user",
        gettext_lazy("账号"),
        Kind.REF,
        queryset=_accounts,
        help=gettext_lazy("志愿者本人的居民账号，可查看本人时长"),
    ),
    Param("team", gettext_lazy("所属团队"), Kind.REF, queryset=_teams),
    Param("area", gettext_lazy("居民区"), Kind.REF, queryset=_areas),
    Param("availability", gettext_lazy("可服务时间"), Kind.TEXT, max_length=80),
    Param("joined_on", gettext_lazy("登记日期"), Kind.DATE),
)


def _may_write(actor: Any) -> None:
    if not capabilities.may(actor, VOLUNTEERS):
        raise Forbidden(_("你的角色不能登记志愿者和团队"))


def _street(actor: Any, street: Any) -> Area:
    pk = street.pk if isinstance(street, Area) else as_id(str(street))
    found = (
        Area.objects.restrict(actor, Action.VIEW).filter(pk=pk, kind=AreaKind.STREET).first() if pk else None
    )
    if found is None:
        raise InvalidInput(_("街道不存在或不在你的管辖范围内"), {"street": "not_found"})
    return found


def _skills(values: Any) -> list[str]:
    skills = [str(v) for v in (values or [])]
    wrong = [v for v in skills if v not in Skill.values]
    if wrong:
        raise InvalidInput(_("特长不正确：%(values)s") % {"values": "、".join(wrong)}, {"skills": "invalid"})
    return sorted(set(skills), key=Skill.values.index)


def _in_street(row: Any, street_id: int, field: str) -> None:
    if row is not None and row.street_id != street_id:
        raise InvalidInput(_("所选%(what)s不在该街道") % {"what": field}, {field: "other_street"})


def hours_of(value: Any, field: str = "hours") -> Decimal:
    """Hours as the ledger keeps them (tenths), from a form's or JSON's number."""
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("时长须为数字"), {field: "invalid"}) from None
    if hours != hours.quantize(TENTH):
        raise InvalidInput(_("时长最多保留一位小数"), {field: "invalid"})
    return hours.quantize(TENTH)


# ---------------------------------------------------------------------------- teams


def create_team(actor: Any, *, street: Any, **fields: Any) -> Team:
    _may_write(actor)
    home = _street(actor, street)
    values = clean_params(TEAM_PARAMS, fields, actor, action_label=_("登记志愿团队"))
    with transaction.atomic():
        team = Team.objects.create(street=home, **values)
        events.log(team, CREATE_TEAM, actor, payload={"name": team.name})
    return team


def update_team(actor: Any, team: Any, **changes: Any) -> Team:
    """The fields given change (an empty `contact_phone` keeps the stored one)."""
    _may_write(actor)
    pk = team.pk if isinstance(team, Team) else as_id(str(team))
    params = tuple(p for p in TEAM_PARAMS if p.name in changes)
    values = clean_params(params, changes, actor, action_label=_("修改志愿团队"))
    if values.get("contact_phone") == "":
        del values["contact_phone"]
    with transaction.atomic():
        row = (
            Team.objects.restrict(actor, Action.CHANGE).select_for_update().filter(pk=pk).first()
            if pk
            else None
        )
        if row is None:
            raise NotFound(_("志愿团队不存在或不在你的管辖范围内"))
        changed = sorted(n for n, v in values.items() if getattr(row, n) != v)
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
        events.log(row, UPDATE_TEAM, actor, payload={"changed": changed})
    return row


# ---------------------------------------------------------------------------- the register


def _next_code(street: Area) -> str:
    """The street's next register number; the caller holds the street's row lock."""
    last = (
        Volunteer.objects.filter(street=street, code__startswith=CODE_PREFIX)
        .order_by(Length("code").desc(), "-code")
        .values_list("code", flat=True)
        .first()
    )
    number = as_id(last[len(CODE_PREFIX) :]) if last else None
    return f"{CODE_PREFIX}{(number or 0) + 1:04d}"


def _linked(values: dict[str, Any], street_id: int, exclude: int | None = None) -> None:
    """The registry person and the account are each some street volunteer's at most once."""
    for field in ("person", "user"):
        row = values.get(field)
        if row is None:
            continue
        if field == "person":
            _in_street(row, street_id, field)
        taken = Volunteer.objects.filter(street_id=street_id, **{field: row})
        if exclude is not None:
            taken = taken.exclude(pk=exclude)
        if taken.exists():
            raise Conflict(
                _("该%(what)s已登记为志愿者") % {"what": _("居民") if field == "person" else _("账号")}
            )


def register_volunteer(actor: Any, *, street: Any, skills: Iterable[str] = (), **fields: Any) -> Volunteer:
    """A volunteer of `street`, numbered V0001… in the street's order. Linked to a registry
    person (their name taken when none is given) or a resident's account when given."""
    _may_write(actor)
    home = _street(actor, street)
    values = clean_params(VOLUNTEER_PARAMS, fields, actor, action_label=_("登记志愿者"))
    chosen = _skills(skills)
    for field in ("team", "area"):
        _in_street(values[field], home.pk, field)
    if not values["name"]:
        linked = values["person"] or values["user"]
        values["name"] = (getattr(linked, "full_name", None) or getattr(linked, "name", "")) if linked else ""
    if not values["name"]:
        raise InvalidInput(_("请填写姓名"), {"name": "required"})
    values["joined_on"] = values["joined_on"] or clock.today()
    with transaction.atomic():
        # The street's row orders the numbering: two registrations never take the same number.
        Area.objects.select_for_update().filter(pk=home.pk).exists()
        _linked(values, home.pk)
        try:
            with transaction.atomic():
                made = Volunteer.objects.create(street=home, code=_next_code(home), skills=chosen, **values)
        except IntegrityError:
            raise Conflict(_("志愿者编号正被占用，请重试")) from None
        events.log(made, REGISTER, actor, payload={"code": made.code, "team": made.team_id})
    return made


def update_volunteer(actor: Any, volunteer: Any, *, version: Any = None, **changes: Any) -> Volunteer:
    """Change the record (name, phone — empty keeps it —, person, account, team, area,
    skills, availability). A new team counts the hours confirmed from now on; the ledger
    keeps each entry's team as it was."""
    _may_write(actor)
    pk = volunteer.pk if isinstance(volunteer, Volunteer) else as_id(str(volunteer))
    skills = changes.pop("skills", None)
    params = tuple(p for p in VOLUNTEER_PARAMS if p.name in changes)
    values = clean_params(params, changes, actor, action_label=_("修改志愿者信息"))
    if "name" in values and not values["name"]:
        raise InvalidInput(_("请填写姓名"), {"name": "required"})
    # Left blank: the stored phone (the page never holds it in full) and joining day stay.
    for kept in ("phone", "joined_on"):
        if kept in values and values[kept] in ("", None):
            del values[kept]
    if skills is not None:
        values["skills"] = _skills(skills)
    with transaction.atomic():
        row = (
            Volunteer.objects.restrict(actor, Action.VIEW).select_for_update().filter(pk=pk).first()
            if pk
            else None
        )
        if row is None:
            raise NotFound(_("志愿者不存在或不在你的管辖范围内"))
        if version is not None and str(version) != str(row.version):
            raise Conflict(_("志愿者已被他人更新（当前版本 %(now)s），请刷新后重试") % {"now": row.version})
        for field in ("team", "area"):
            _in_street(values.get(field), row.street_id, field)
        _linked(values, row.street_id, exclude=row.pk)
        changed = sorted(n for n, v in values.items() if n == "phone" or getattr(row, n) != v)
        for name, value in values.items():
            setattr(row, name, value)
        row.version += 1
        row.save()
        events.log(row, UPDATE, actor, payload={"changed": changed, "team": row.team_id})
    return row


# ---------------------------------------------------------------------------- an activity's posts


@ACTIVITY_FRAME.implements(ActivityAction.ADD_SLOT)
def add_slot(ctx: FilesContext, *, title: str, needed: int, hours: float, skill: str = "") -> None:
    activity = ctx.obj
    slot = VolunteerSlot.objects.create(
        activity=activity,
        street_id=activity.street_id,
        title=title,
        needed=needed,
        hours=hours_of(hours),
        skill=skill,
    )
    ctx.payload.update(slot=slot.pk, title=title, needed=needed, hours=str(slot.hours))


@ACTIVITY_FRAME.implements(ActivityAction.ASSIGN_VOLUNTEER)
def assign_volunteer(ctx: FilesContext, *, slot: VolunteerSlot, volunteer: Volunteer) -> None:
    """Under the activity's lock: a full post is refused naming it, as is a volunteer already
    on one of the activity's posts."""
    if volunteer.status != VolunteerStatus.ACTIVE or volunteer.street_id != ctx.obj.street_id:
        raise InvalidInput(_("该志愿者不在册，不能安排"), {"volunteer": "inactive"})
    held = SlotAssignment.objects.filter(slot__activity=ctx.obj, volunteer=volunteer).select_related("slot")
    if (twice := held.first()) is not None:
        raise Conflict(
            _("%(name)s 已安排在本活动的“%(post)s”岗位") % {"name": volunteer.name, "post": twice.slot.title}
        )
    if slot.assignments.exclude(status=PostStatus.ABSENT).count() >= slot.needed:
        raise Conflict(_("“%(post)s”岗位已满（%(n)s 人）") % {"post": slot.title, "n": slot.needed})
    made = SlotAssignment.objects.create(slot=slot, volunteer=volunteer, street_id=slot.street_id)
    ctx.payload.update(slot=slot.pk, assignment=made.pk, volunteer=volunteer.code)


@ACTIVITY_FRAME.implements(ActivityAction.MARK_ABSENT)
def mark_absent(ctx: FilesContext, *, assignment: SlotAssignment) -> None:
    if assignment.status != PostStatus.ASSIGNED:
        raise Conflict(_("该岗位安排已登记为%(status)s") % {"status": assignment.get_status_display()})  # type: ignore[attr-defined]
    SlotAssignment.objects.filter(pk=assignment.pk).update(status=PostStatus.ABSENT)
    ctx.payload.update(assignment=assignment.pk, volunteer=assignment.volunteer.code)


# ---------------------------------------------------------------------------- the hours ledger


def _activity_day(assignment: SlotAssignment) -> date:
    return timezone.localtime(assignment.slot.activity.starts_at).date()


@VOLUNTEER_FRAME.implements(VolunteerAction.CONFIRM_HOURS)
def confirm_hours(
    ctx: FilesContext,
    *,
    assignment: SlotAssignment | None = None,
    served_on: date | None = None,
    hours: float | Decimal | None = None,
    description: str = "",
) -> None:
    """One line of the ledger, confirmed by the actor: a served post's (its hours unless
    given, the activity's day; the post becomes served, once) or other service (day, hours
    and what was done, all required). The entry's team is the volunteer's team now."""
    volunteer: Volunteer = ctx.obj
    activity = None
    if assignment is not None:
        # Under the assignment's lock: two confirmations of one post, one wins.
        post = SlotAssignment.objects.select_for_update().get(pk=assignment.pk)
        if post.volunteer_id != volunteer.pk:
            raise InvalidInput(_("所选岗位安排不是该志愿者的"), {"assignment": "other_volunteer"})
        if post.status == PostStatus.SERVED or HoursEntry.objects.filter(assignment=post).exists():
            raise Conflict(_("该岗位的服务时长已确认过"))
        if post.status == PostStatus.ABSENT:
            raise Conflict(_("该志愿者已登记为未到岗"))
        activity = assignment.slot.activity
        served_on = served_on or _activity_day(assignment)
        hours = assignment.slot.hours if hours is None else hours
        description = description or f"{activity.title} · {assignment.slot.title}"
        SlotAssignment.objects.filter(pk=post.pk).update(status=PostStatus.SERVED)
    if served_on is None or hours is None or not description:
        missing = {"served_on": served_on, "hours": hours, "description": description or None}
        raise InvalidInput(
            _("其他服务须填写服务日期、时长和服务内容"),
            {name: "required" for name, value in missing.items() if value is None},
        )
    if served_on > clock.today():
        raise InvalidInput(_("服务日期不能晚于今天"), {"served_on": "future"})
    entry = HoursEntry.objects.create(
        volunteer=volunteer,
        street_id=volunteer.street_id,
        team_id=volunteer.team_id,
        activity=activity,
        assignment=assignment,
        served_on=served_on,
        hours=hours_of(hours),
        description=description[:200],
        confirmed_by=ctx.actor,
    )
    ctx.payload.update(entry=entry.pk, hours=str(entry.hours), served_on=served_on.isoformat())


@VOLUNTEER_FRAME.implements(VolunteerAction.REVERSE_HOURS)
def reverse_hours(ctx: FilesContext, *, entry: HoursEntry, note: str) -> None:
    """A negative entry that cancels `entry` (never a reversal itself, and once); the
    reason is the event's note. A served post's assignment stays served: its hours were
    confirmed once, and corrected."""
    if entry.reverses_id is not None:
        raise Conflict(_("冲销记录不能再被冲销"))
    if HoursEntry.objects.filter(reverses=entry).exists():
        raise Conflict(_("该记录已冲销过"))
    made = HoursEntry.objects.create(
        volunteer=ctx.obj,
        street_id=entry.street_id,
        team_id=entry.team_id,
        activity_id=entry.activity_id,
        served_on=entry.served_on,
        hours=-entry.hours,
        description=(_("冲销：%(what)s") % {"what": entry.description})[:200],
        reverses=entry,
        confirmed_by=ctx.actor,
    )
    ctx.payload.update(entry=made.pk, reverses=entry.pk, hours=str(made.hours))
    ctx.note = note


@VOLUNTEER_FRAME.implements(VolunteerAction.LEAVE)
def leave(ctx: FilesContext, *, note: str = "") -> None:
    ctx.note = note


@VOLUNTEER_FRAME.implements(VolunteerAction.REJOIN)
def rejoin(ctx: FilesContext, *, note: str = "") -> None:
    ctx.note = note


def confirm_served(actor: Any, assignments: Iterable[SlotAssignment]) -> list[HoursEntry]:
    """The activity page's "confirm the served ones in one go": each post's hours through its
    volunteer's frame, all in one transaction (one refusal confirms none)."""
    made = []
    with transaction.atomic():
        for assignment in assignments:
            volunteer = VOLUNTEER_FRAME.run(
                assignment.volunteer_id, VolunteerAction.CONFIRM_HOURS, actor, {"assignment": assignment.pk}
            )
            made.append(HoursEntry.objects.filter(volunteer=volunteer, assignment=assignment).get())
    return made
