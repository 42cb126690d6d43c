"""Venues and activities (社区活动): the street office keeps the venues (rooms, weekly opening
hours); the street office and committees' cadres create activities (one, or a series planned
one occurrence per day, public holidays skipped) and take them through the activity machine.
Sign-ups are counted under the activity's row lock (the frame's): a confirmed place while the
capacity lasts, then the waiting list while it has room, else refused; a place given back goes
to the first waiting, who is told. Check-in once per sign-up, on the day. Every call is one
transaction with its event (core.events) and audit rows (AuditedModel)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.core import capabilities, clock, events, notifications, personal, profile, workdays
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core.frame import FilesContext
from civicgrid.core.inputs import as_id, clean_text
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from ..choices import (
    ActivityAction,
    ActivityCategory,
    ActivityRecurrence,
    ActivityStatus,
    Audience,
    ContactChannel,
    NotificationKind,
    SignUpStatus,
    VenueKind,
    Weekday,
)
from ..models import Activity, ActivitySeries, OpeningHours, Room, SignUp, Venue
from ..querysets import OWN_ROWS_ONLY
from .frames import ACTIVITY_FRAME

VENUES, ACTIVITIES = "community.venues", "community.activities"
CREATE_VENUE, UPDATE_VENUE, SET_HOURS = "create_venue", "update_venue", "set_hours"
ADD_ROOM, UPDATE_ROOM = "add_room", "update_room"
CREATE, UPDATE, PLAN_SERIES = "create", "update", "plan_series"
MAX_OCCURRENCES = 60
LIVE = (ActivityStatus.DRAFT, ActivityStatus.OPEN, ActivityStatus.CLOSED)


def _may(actor: Any, capability: str, refusal: str) -> None:
    if not capabilities.may(actor, capability):
        raise Forbidden(refusal)


def _choice(value: Any, choices: Any, name: str, label: str) -> str:
    value = getattr(value, "value", value)
    if value not in choices.values:
        raise InvalidInput(_("%(label)s不正确") % {"label": label}, {name: "invalid"})
    return str(value)


def _count(value: Any, name: str, label: str, *, low: int = 1, high: int = 10000) -> int:
    number = value if isinstance(value, int) and not isinstance(value, bool) else as_id(str(value or ""))
    if number is None and str(value).strip() == "0":
        number = 0
    if number is None or not low <= number <= high:
        raise InvalidInput(
            _("%(label)s须为 %(low)d–%(high)d 的整数") % {"label": label, "low": low, "high": high},
            {name: "invalid"},
        )
    return number


def _ref(actor: Any, model: Any, value: Any, name: str, missing: str, **where: Any) -> Any:
    """A row the actor may see (`value` a row or an id), else InvalidInput naming `name`."""
    pk = value.pk if isinstance(value, model) else as_id(str(value or ""))
    found = model.objects.restrict(actor, "view").filter(pk=pk, **where).first() if pk else None
    if found is None:
        raise InvalidInput(missing, {name: "not_found"})
    return found


def _version(obj: Any, version: Any) -> None:
    if version not in (None, "") and str(version) != str(obj.version):
        raise Conflict(
            _("%(noun)s已被他人更新（当前版本 %(now)s），请刷新后重试")
            % {"noun": obj._meta.verbose_name, "now": obj.version}
        )


def _changes(changes: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(_("不能修改的字段"), dict.fromkeys(sorted(unknown), "unknown"))


# ---------------------------------------------------------------------------- venues


def _clean_venue(actor: Any, street: Area, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    labels = {"name": _("名称"), "address": _("地址"), "phone": _("场所电话"), "description": _("简介")}
    lengths = {"name": 80, "address": 120, "phone": 30, "description": 2000}
    for name, label in labels.items():
        if name in values:
            out[name] = clean_text(values[name], name, label, lengths[name], required=name == "name")
    if "kind" in values:
        out["kind"] = _choice(values["kind"], VenueKind, "kind", _("类型"))
    if "area" in values:
        area = values["area"]
        out["area"] = (
            None
            if area in (None, "")
            else _ref(
                actor,
                Area,
                area,
                "area",
                _("居民区不在该街道"),
                street=street,
                kind=AreaKind.RESIDENTIAL,
            )
        )
    for flag in ("accessible", "active"):
        if flag in values:
            out[flag] = bool(values[flag])
    return out


def create_venue(actor: Any, *, street: Any, kind: str, name: str, **values: Any) -> Venue:
    """A venue of `street` (the actor's); `area` its residential area (none: street-wide)."""
    _may(actor, VENUES, _("你的角色不能管理活动场所"))
    _changes(values, {"area", "address", "phone", "description", "accessible", "active"})
    home = _ref(actor, Area, street, "street", _("街道不存在或不在你的管辖范围内"), kind=AreaKind.STREET)
    cleaned = _clean_venue(actor, home, {"kind": kind, "name": name, **values})
    with transaction.atomic():
        venue = Venue.objects.create(street=home, **cleaned)
        events.log(venue, CREATE_VENUE, actor, payload={"kind": venue.kind})
    return venue


def _venue(actor: Any, venue: Any) -> Venue:
    """The venue, locked, if the actor may change it."""
    _may(actor, VENUES, _("你的角色不能管理活动场所"))
    pk = venue.pk if isinstance(venue, Venue) else as_id(str(venue))
    if not pk or not Venue.objects.restrict(actor, "change").filter(pk=pk).exists():
        raise NotFound(_("活动场所不存在或不在你的管辖范围内"))
    return Venue.objects.select_for_update().select_related("street").get(pk=pk)


def update_venue(actor: Any, venue: Any, *, version: Any = None, **changes: Any) -> Venue:
    _changes(changes, {"kind", "name", "area", "address", "phone", "description", "accessible", "active"})
    with transaction.atomic():
        row = _venue(actor, venue)
        _version(row, version)
        cleaned = _clean_venue(actor, row.street, changes)
        changed = sorted(n for n, v in cleaned.items() if getattr(row, n) != v)
        for name, value in cleaned.items():
            setattr(row, name, value)
        row.version += 1
        row.save()
        events.log(row, UPDATE_VENUE, actor, payload={"changed": changed})
    return row


def _bump(venue: Venue) -> None:
    """A room or the hours changed: the venue's version moves with them (its forms go stale)."""
    Venue.objects.filter(pk=venue.pk).update(version=venue.version + 1, updated_at=clock.now())
    venue.version += 1


def add_room(actor: Any, venue: Any, *, name: str, capacity: Any) -> Room:
    with transaction.atomic():
        row = _venue(actor, venue)
        title = clean_text(name, "name", _("房间"), 40)
        if row.rooms.filter(name=title).exists():
            raise InvalidInput(_("已有同名的活动室"), {"name": "duplicate"})
        room = Room.objects.create(
            venue=row,
            street_id=row.street_id,
            name=title,
            capacity=_count(capacity, "capacity", _("容纳人数")),
        )
        _bump(row)
        events.log(row, ADD_ROOM, actor, payload={"room": room.pk, "name": room.name})
    return room


def update_room(actor: Any, room: Any, *, version: Any = None, **changes: Any) -> Room:
    """Rename a room, change its capacity (not below an open activity's places there) or
    take it out of use. `version`: the venue's, as the form showed it (rooms move it)."""
    _changes(changes, {"name", "capacity", "active"})
    pk = room.pk if isinstance(room, Room) else as_id(str(room))
    rooms = Room.objects.restrict(actor, "view")
    venue_id = rooms.filter(pk=pk).values_list("venue_id", flat=True).first() if pk else None
    if pk is None or venue_id is None:
        raise NotFound(_("活动室不存在或不在你的管辖范围内"))
    with transaction.atomic():
        venue = _venue(actor, venue_id)
        _version(venue, version)
        row = Room.objects.select_for_update().get(pk=pk)
        if "name" in changes:
            row.name = clean_text(changes["name"], "name", _("房间"), 40)
            if venue.rooms.filter(name=row.name).exclude(pk=row.pk).exists():
                raise InvalidInput(_("已有同名的活动室"), {"name": "duplicate"})
        if "capacity" in changes:
            row.capacity = _count(changes["capacity"], "capacity", _("容纳人数"))
            biggest = (
                Activity.objects.filter(room=row, status__in=LIVE, starts_at__gte=clock.now())
                .order_by("-capacity")
                .values_list("capacity", flat=True)
                .first()
            )
            if biggest is not None and biggest > row.capacity:
                raise InvalidInput(
                    _("该活动室有名额为 %(n)d 人的活动尚未举行，容纳人数不能更少") % {"n": biggest},
                    {"capacity": "below_activity"},
                )
        if "active" in changes:
            row.active = bool(changes["active"])
        row.save()
        _bump(venue)
        events.log(venue, UPDATE_ROOM, actor, payload={"room": row.pk, "changed": sorted(changes)})
    return row


def _hours(rows: Iterable[Any]) -> list[tuple[int, time, time]]:
    """(weekday, opens, closes) rows, each checked; two openings of a day may not overlap."""
    out: list[tuple[int, time, time]] = []
    for i, row in enumerate(rows):
        if isinstance(row, dict):
            weekday, opens, closes = row["weekday"], row["opens"], row["closes"]
        else:
            weekday, opens, closes = row
        weekday = getattr(weekday, "value", weekday)
        if weekday not in Weekday.values:
            raise InvalidInput(_("星期不正确"), {f"hours.{i}.weekday": "invalid"})
        if not isinstance(opens, time) or not isinstance(closes, time) or closes <= opens:
            raise InvalidInput(_("关闭时间须晚于开放时间"), {f"hours.{i}.closes": "invalid"})
        out.append((int(weekday), opens, closes))
    out.sort()
    for (day_a, _o, closes_a), (day_b, opens_b, _c) in zip(out, out[1:], strict=False):
        if day_a == day_b and opens_b < closes_a:
            raise InvalidInput(
                _("%(day)s的开放时间有重叠") % {"day": Weekday(day_a).label}, {"hours": "overlap"}
            )
    return out


def set_hours(actor: Any, venue: Any, hours: Iterable[Any], *, version: Any = None) -> list[OpeningHours]:
    """Replace the venue's weekly opening hours with `hours` (dicts or tuples of weekday
    0–6, opens, closes) in one step: the old rows go, the new ones come, one event."""
    cleaned = _hours(hours)
    with transaction.atomic():
        row = _venue(actor, venue)
        _version(row, version)
        row.hours.all().delete()
        made = OpeningHours.objects.bulk_create(
            OpeningHours(venue=row, street_id=row.street_id, weekday=d, opens=o, closes=c)
            for d, o, c in cleaned
        )
        _bump(row)
        events.log(
            row,
            SET_HOURS,
            actor,
            payload={"hours": [[d, o.strftime("%H:%M"), c.strftime("%H:%M")] for d, o, c in cleaned]},
        )
    return made


# ---------------------------------------------------------------------------- activities

ACTIVITY_FIELDS = {
    "venue",
    "room",
    "place",
    "title",
    "description",
    "category",
    "audience",
    "organiser",
    "unit",
    "team",
    "starts_at",
    "ends_at",
    "capacity",
    "waiting_limit",
    "sign_up_closes_at",
}


def _moment(value: Any, name: str, label: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInput(_("%(label)s不正确") % {"label": label}, {name: "invalid"})
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _clean_activity(
    actor: Any, street: Area | None, values: dict[str, Any], current: Any = None
) -> dict[str, Any]:
    """The activity's fields (those given, over `current`'s), cleaned and checked together:
    the room is the venue's, the capacity fits the room, the times are in order. `street`
    None: the venue's (a new activity at a venue)."""
    out: dict[str, Any] = {}
    merged = {n: getattr(current, n) for n in ACTIVITY_FIELDS} if current is not None else {}
    merged.update(values)
    if "venue" in values:
        venue = values["venue"]
        out["venue"] = (
            None
            if venue in (None, "")
            else _ref(actor, Venue, venue, "venue", _("活动场所不存在或不在你的管辖范围内"), active=True)
        )
    venue = out.get("venue", merged.get("venue"))
    if venue is not None:
        if street is not None and venue.street_id != street.pk:
            raise InvalidInput(_("活动场所不在该街道"), {"venue": "other_street"})
        street = venue.street
        out["area"] = venue.area
    elif "venue" in values:
        out["area"] = None
    if street is None:
        raise InvalidInput(_("请选择活动场所"), {"venue": "required"})
    out["street"] = street
    if "room" in values or "venue" in values:
        room = merged.get("room")
        out["room"] = None
        if room not in (None, ""):
            pk = room.pk if isinstance(room, Room) else as_id(str(room))
            found = Room.objects.filter(pk=pk, venue=venue, active=True).first() if venue and pk else None
            if found is None:
                raise InvalidInput(_("所选活动室不属于该场所"), {"room": "other_venue"})
            out["room"] = found
    texts = {
        "title": (_("活动名称"), 100, True),
        "description": (_("活动内容"), 4000, False),
        "organiser": (_("主办方"), 80, True),
        "place": (_("其他地点"), 120, False),
    }
    for name, (label, length, required) in texts.items():
        if name in values:
            out[name] = clean_text(values[name], name, str(label), length, required=required)
    if venue is None and not out.get("place", merged.get("place")):
        raise InvalidInput(_("请选择活动场所或填写其他地点"), {"venue": "required"})
    if "category" in values:
        out["category"] = _choice(values["category"], ActivityCategory, "category", _("类别"))
    if "audience" in values:
        out["audience"] = _choice(values["audience"], Audience, "audience", _("面向对象"))
    if "unit" in values:
        from civicgrid.orgs.models import Unit

        unit = values["unit"]
        out["unit"] = (
            None
            if unit in (None, "")
            else _ref(actor, Unit, unit, "unit", _("主办单位不存在或不在你的管辖范围内"))
        )
    if "team" in values:
        from ..models import Team

        team = values["team"]
        out["team"] = (
            None
            if team in (None, "")
            else _ref(actor, Team, team, "team", _("志愿团队不存在或不在你的管辖范围内"), street=street)
        )
    for name, label in (("starts_at", _("开始时间")), ("ends_at", _("结束时间"))):
        if name in values:
            out[name] = _moment(values[name], name, str(label))
    if "sign_up_closes_at" in values:
        closes = values["sign_up_closes_at"]
        out["sign_up_closes_at"] = (
            None if closes in (None, "") else _moment(closes, "sign_up_closes_at", _("报名截止"))
        )
    starts, ends = out.get("starts_at", merged.get("starts_at")), out.get("ends_at", merged.get("ends_at"))
    if starts is None or ends is None:
        raise InvalidInput(_("请填写开始和结束时间"), {"starts_at": "required"})
    if ends <= starts:
        raise InvalidInput(_("结束时间须晚于开始时间"), {"ends_at": "before_start"})
    closes = out.get("sign_up_closes_at", merged.get("sign_up_closes_at"))
    if closes is not None and closes > starts:
        raise InvalidInput(_("报名截止须不晚于开始时间"), {"sign_up_closes_at": "after_start"})
    if "capacity" in values:
        out["capacity"] = _count(values["capacity"], "capacity", _("名额"))
    if "waiting_limit" in values:
        limit = values["waiting_limit"]
        out["waiting_limit"] = (
            profile.value("community.waiting_list_default", street.pk)
            if limit in (None, "")
            else _count(limit, "waiting_limit", _("候补名额"), low=0, high=1000)
        )
    room, capacity = out.get("room", merged.get("room")), out.get("capacity", merged.get("capacity"))
    if room is not None and capacity is not None and capacity > room.capacity:
        raise InvalidInput(
            _("名额不能超过活动室的容纳人数 %(n)d 人") % {"n": room.capacity}, {"capacity": "over_room"}
        )
    return out


def create_activity(actor: Any, *, street: Any = None, **fields: Any) -> Activity:
    """A draft activity (published later by its machine). Its street and residential area
    are its venue's (`street` only for one held elsewhere, `place`); the room must be the
    venue's and hold the capacity; the waiting list's size defaults to the street profile's
    `community.waiting_list_default`."""
    _may(actor, ACTIVITIES, _("你的角色不能组织社区活动"))
    _changes(fields, ACTIVITY_FIELDS | {"series"})
    home = (
        _ref(actor, Area, street, "street", _("街道不存在或不在你的管辖范围内"), kind=AreaKind.STREET)
        if street not in (None, "")
        else None
    )
    series = fields.pop("series", None)
    fields.setdefault("waiting_limit", None)
    for name in ("title", "category", "organiser", "starts_at", "ends_at", "capacity"):
        fields.setdefault(name, None)
    cleaned = _clean_activity(actor, home, fields)
    with transaction.atomic():
        made = Activity.objects.create(series=series, created_by=actor, **cleaned)
        events.log(made, CREATE, actor, payload={"starts_at": made.starts_at.isoformat()})
    return made


def update_activity(actor: Any, activity: Any, *, version: Any = None, **changes: Any) -> Activity:
    """Change an activity that is not over: its capacity never below the places already
    confirmed (a waiting list is not shortened below who waits)."""
    _may(actor, ACTIVITIES, _("你的角色不能组织社区活动"))
    _changes(changes, ACTIVITY_FIELDS)
    pk = activity.pk if isinstance(activity, Activity) else as_id(str(activity))
    if not pk or not Activity.objects.restrict(actor, "view").filter(pk=pk).exists():
        raise NotFound(_("活动不存在或不在你的管辖范围内"))
    with transaction.atomic():
        row = Activity.objects.select_for_update().select_related("street", "venue", "room").get(pk=pk)
        _version(row, version)
        if row.status not in LIVE:
            raise Conflict(_("活动%(status)s，不能修改") % {"status": row.get_status_display()})  # type: ignore[attr-defined]
        cleaned = _clean_activity(actor, row.street, changes, row)
        held = counts(row)
        if cleaned.get("capacity", row.capacity) < held[SignUpStatus.CONFIRMED]:
            raise InvalidInput(
                _("已有 %(n)d 人报名，名额不能更少") % {"n": held[SignUpStatus.CONFIRMED]},
                {"capacity": "below_confirmed"},
            )
        if cleaned.get("waiting_limit", row.waiting_limit) < held[SignUpStatus.WAITING]:
            raise InvalidInput(
                _("已有 %(n)d 人候补，候补名额不能更少") % {"n": held[SignUpStatus.WAITING]},
                {"waiting_limit": "below_waiting"},
            )
        changed = sorted(n for n, v in cleaned.items() if getattr(row, n) != v)
        for name, value in cleaned.items():
            setattr(row, name, value)
        row.version += 1
        row.save()
        events.log(row, UPDATE, actor, payload={"changed": changed})
    return row


# ---------------------------------------------------------------------------- series


@dataclass
class Plan:
    series: ActivitySeries
    activities: list[Activity]
    skipped: list[date] = field(default_factory=list)  # public holidays left out


def public_holiday(day: date) -> bool:
    """A weekday the working-day calendar (core.workdays) has as a day off: a public holiday
    (weekend days are ordinary days for activities)."""
    return day.weekday() < 5 and not workdays.is_working_day(day)


def occurrences(recurrence: str, weekday: int, first: date, last: date) -> list[date]:
    """The days of a series from `first` to `last` (inclusive), holidays included: every
    week or fortnight on `weekday`; monthly on the same weekday of the month as the first
    occurrence (the second Tuesday…), months without it left out."""
    start = first + timedelta(days=(weekday - first.weekday()) % 7)
    if recurrence in (ActivityRecurrence.WEEKLY, ActivityRecurrence.FORTNIGHTLY):
        step = 7 if recurrence == ActivityRecurrence.WEEKLY else 14
        return (
            [start + timedelta(days=step * i) for i in range((last - start).days // step + 1)]
            if start <= last
            else []
        )
    nth = (start.day - 1) // 7
    days, year, month = [], start.year, start.month
    while True:
        first_of = date(year, month, 1)
        day = first_of + timedelta(days=(weekday - first_of.weekday()) % 7 + 7 * nth)
        if day > last:
            break
        if day.month == month:
            days.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def plan_series(
    actor: Any,
    *,
    recurrence: str,
    weekday: Any,
    starts_at: time,
    minutes: Any,
    first_day: date,
    last_day: date,
    publish: bool = False,
    **fields: Any,
) -> Plan:
    """An `ActivitySeries` and one draft `Activity` per occurrence (`fields` as for
    `create_activity`, without the times), skipping public holidays; at most
    MAX_OCCURRENCES. `publish`: each occurrence published at once (its own event)."""
    _may(actor, ACTIVITIES, _("你的角色不能组织社区活动"))
    _changes(fields, ACTIVITY_FIELDS - {"starts_at", "ends_at", "sign_up_closes_at"} | {"street"})
    recurrence = _choice(recurrence, ActivityRecurrence, "recurrence", _("重复方式"))
    weekday = getattr(weekday, "value", weekday)
    if weekday not in Weekday.values:
        raise InvalidInput(_("星期不正确"), {"weekday": "invalid"})
    length = _count(minutes, "minutes", _("时长（分钟）"), high=24 * 60)
    if not isinstance(starts_at, time):
        raise InvalidInput(_("开始时间不正确"), {"starts_at": "invalid"})
    if not isinstance(first_day, date) or not isinstance(last_day, date) or last_day < first_day:
        raise InvalidInput(_("截止日期须不早于首次日期"), {"last_day": "before_first"})
    days = occurrences(recurrence, int(weekday), first_day, last_day)
    if not days:
        raise InvalidInput(_("所选期间内没有符合的日期"), {"last_day": "no_days"})
    if len(days) > MAX_OCCURRENCES:
        raise InvalidInput(
            _("一次最多安排 %(n)d 次活动，请缩短期间") % {"n": MAX_OCCURRENCES}, {"last_day": "too_many"}
        )
    skipped = [d for d in days if public_holiday(d)]
    kept = [d for d in days if d not in skipped]
    if not kept:
        raise InvalidInput(_("所选日期都是法定节假日"), {"last_day": "no_days"})
    street = fields.pop("street", None)
    with transaction.atomic():
        made: list[Activity] = []
        for day in kept:
            begins = timezone.make_aware(datetime.combine(day, starts_at))
            made.append(
                create_activity(
                    actor,
                    street=street,
                    **fields,
                    starts_at=begins,
                    ends_at=begins + timedelta(minutes=length),
                )
            )
        series = ActivitySeries.objects.create(
            street_id=made[0].street_id,
            title=made[0].title,
            recurrence=recurrence,
            weekday=int(weekday),
            starts_at=starts_at,
            minutes=length,
            first_day=first_day,
            last_day=last_day,
            created_by=actor,
        )
        Activity.objects.filter(pk__in=[a.pk for a in made]).update(series=series)
        for activity in made:
            activity.series = series
        events.log(
            series,
            PLAN_SERIES,
            actor,
            payload={"activities": len(made), "skipped": [d.isoformat() for d in skipped]},
        )
        if publish:
            made = [ACTIVITY_FRAME.run(a.pk, ActivityAction.PUBLISH, actor, {}) for a in made]
    return Plan(series=series, activities=made, skipped=skipped)


# ---------------------------------------------------------------------------- the machine


def counts(activity: Activity) -> dict[str, int]:
    """Live sign-ups by status (read under the activity's lock by the machine's bodies)."""
    found = dict(
        SignUp.objects.filter(activity=activity)
        .exclude(status=SignUpStatus.CANCELLED)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {status: found.get(status, 0) for status in (SignUpStatus.CONFIRMED, SignUpStatus.WAITING)}


def waiting_position(sign_up: SignUp) -> int:
    """Where a waiting sign-up stands on its activity's list (1: next to move up)."""
    return SignUp.objects.filter(
        activity_id=sign_up.activity_id, status=SignUpStatus.WAITING, pk__lte=sign_up.pk
    ).count()


@ACTIVITY_FRAME.implements(ActivityAction.PUBLISH)
def publish(ctx: FilesContext, *, note: str = "") -> None:
    if ctx.obj.starts_at <= ctx.now:
        raise InvalidInput(_("活动已经开始，不能发布"), {"starts_at": "past"})
    ctx.note = note


def _who(ctx: FilesContext, person: Any, name: str, phone: str, channel: str) -> tuple[dict[str, Any], Q]:
    """Who a sign-up is for, and the live sign-ups that would be the same person: a resident
    signs up themselves (their account, on the web); staff write down a registry person or a
    caller's name and phone (by phone or at the desk)."""
    actor, activity = ctx.actor, ctx.obj
    if capabilities.may(actor, OWN_ROWS_ONLY):
        if person is not None or name or phone:
            raise InvalidInput(_("居民只能为本人报名"), {"person": "own_only"})
        return {"user": actor, "name": actor.full_name or actor.username, "channel": ContactChannel.WEB}, Q(
            user=actor
        )
    who: dict[str, Any] = {
        # The declaration's default is the resident's own channel; staff take calls and visits.
        "channel": ContactChannel.PHONE if channel in (None, "", ContactChannel.WEB) else channel,
        "phone": clean_text(phone, "phone", _("联系电话"), 30, required=person is None),
    }
    if person is not None:
        if person.street_id != activity.street_id:
            raise InvalidInput(_("该居民不在本活动所在街道"), {"person": "other_street"})
        who.update(person=person, name=person.name)
        same = Q(person=person)
    else:
        who["name"] = clean_text(name, "name", _("姓名"), 50)
        same = Q(pk__in=[])
    if who["phone"]:
        same |= personal.matching(SignUp, "phone", who["phone"])
    return who, same


@ACTIVITY_FRAME.implements(ActivityAction.SIGN_UP)
def sign_up(
    ctx: FilesContext,
    *,
    person: Any = None,
    name: str = "",
    phone: str = "",
    channel: str = ContactChannel.WEB,
) -> None:
    """A confirmed place while fewer than `capacity` hold one, else a place on the waiting
    list while it has room, else refused. Counted under the activity's row lock, so two
    sign-ups for the last place never both get it. The new row is `activity.made_sign_up`."""
    activity: Activity = ctx.obj
    who, same = _who(ctx, person, name, phone, channel)
    live = SignUp.objects.filter(activity=activity).exclude(status=SignUpStatus.CANCELLED)
    if live.filter(same).exists():
        raise Conflict(_("已报名：同一人不能重复报名"))
    held = counts(activity)
    if held[SignUpStatus.CONFIRMED] < activity.capacity:
        status = SignUpStatus.CONFIRMED
    elif held[SignUpStatus.WAITING] < activity.waiting_limit:
        status = SignUpStatus.WAITING
    elif activity.waiting_limit:
        raise Conflict(
            _("名额已满（%(capacity)d 人），候补名单（%(waiting)d 人）也已满")
            % {"capacity": activity.capacity, "waiting": activity.waiting_limit}
        )
    else:
        raise Conflict(_("名额已满（%(capacity)d 人），本活动不设候补") % {"capacity": activity.capacity})
    try:
        with transaction.atomic():
            made = SignUp.objects.create(
                activity=activity, street_id=activity.street_id, status=status, created_by=ctx.actor, **who
            )
    except IntegrityError:  # the partial unique constraints: the same person, live
        raise Conflict(_("已报名：同一人不能重复报名")) from None
    ctx.payload.update(sign_up=made.pk, status=status, channel=made.channel)
    activity.made_sign_up = made  # type: ignore[attr-defined]  # the frame returns the activity


@ACTIVITY_FRAME.implements(ActivityAction.CANCEL_SIGN_UP)
def cancel_sign_up(ctx: FilesContext, *, sign_up: SignUp, note: str = "") -> None:
    """The place is given back: the first on the waiting list (by when they signed up) takes
    it and, if they signed up with an account, is told."""
    row = SignUp.objects.select_for_update().get(pk=sign_up.pk)
    if row.status == SignUpStatus.CANCELLED:
        raise Conflict(_("该报名已取消"))
    if row.checked_in_at is not None:
        raise Conflict(_("已签到的报名不能取消"))
    freed = row.status == SignUpStatus.CONFIRMED
    row.status = SignUpStatus.CANCELLED
    row.save(update_fields=["status", "updated_at"])
    ctx.payload["sign_up"] = row.pk
    ctx.note = note
    if not freed:
        return
    first = (
        SignUp.objects.select_for_update()
        .filter(activity=ctx.obj, status=SignUpStatus.WAITING)
        .order_by("pk")
        .first()
    )
    if first is None:
        return
    first.status = SignUpStatus.CONFIRMED
    first.save(update_fields=["status", "updated_at"])
    ctx.payload["promoted"] = first.pk
    if first.user_id:
        notifications.send_on_commit(
            [first.user],
            ctx.obj,
            NotificationKind.ACTIVITY_PROMOTED,
            gettext_noop("你报名的“%(title)s”（%(when)s）已由候补转为正式报名"),
            f"community-promoted:{first.pk}",
            {"title": ctx.obj.title, "when": timezone.localtime(ctx.obj.starts_at).strftime("%m-%d %H:%M")},
        )


@ACTIVITY_FRAME.implements(ActivityAction.CHECK_IN)
def check_in(ctx: FilesContext, *, sign_up: SignUp, code: str) -> None:
    """Once per sign-up, and only a confirmed one: the time of the first is kept."""
    row = SignUp.objects.select_for_update().get(pk=sign_up.pk)
    if row.checked_in_at is not None:
        raise Conflict(
            _("已于 %(time)s 签到，不能重复签到")
            % {"time": timezone.localtime(row.checked_in_at).strftime("%H:%M")}
        )
    if row.status != SignUpStatus.CONFIRMED:
        raise Conflict(
            _("该报名为“%(status)s”，不能签到") % {"status": row.get_status_display()}  # type: ignore[attr-defined]
        )
    row.checked_in_at, row.checked_in_by = ctx.now, ctx.actor
    row.save(update_fields=["checked_in_at", "checked_in_by", "updated_at"])
    ctx.payload["sign_up"] = row.pk


@ACTIVITY_FRAME.implements(ActivityAction.CLOSE_SIGN_UP)
def close_sign_up(ctx: FilesContext, *, note: str = "") -> None:
    ctx.note = note


@ACTIVITY_FRAME.implements(ActivityAction.FINISH)
def finish(ctx: FilesContext, *, walk_ins: int = 0, note: str = "") -> None:
    """Attendance: those checked in plus those who came without signing up."""
    checked = SignUp.objects.filter(activity=ctx.obj, checked_in_at__isnull=False).count()
    ctx.set(walk_ins=walk_ins or 0, attendance=checked + (walk_ins or 0))
    ctx.payload.update(checked_in=checked, walk_ins=walk_ins or 0)
    ctx.note = note


@ACTIVITY_FRAME.implements(ActivityAction.CANCEL)
def cancel(ctx: FilesContext, *, note: str) -> None:
    """Cancelled: everyone who signed up with an account is told (the rows stay as a record)."""
    ctx.note = note
    users = [
        s.user
        for s in SignUp.objects.filter(activity=ctx.obj, user__isnull=False)
        .exclude(status=SignUpStatus.CANCELLED)
        .select_related("user")
    ]
    if users:
        notifications.send_on_commit(
            users,
            ctx.obj,
            NotificationKind.ACTIVITY_CANCELLED,
            gettext_noop("你报名的“%(title)s”（%(when)s）已取消：%(reason)s"),
            f"community-cancelled:{ctx.obj.pk}",
            {
                "title": ctx.obj.title,
                "when": timezone.localtime(ctx.obj.starts_at).strftime("%m-%d %H:%M"),
                "reason": note,
            },
        )
