"""The demo's venues and a year of activities for one street (issue 18): a 邻里汇 hub
(street-wide), a 睦邻点 per residential area, an elderly canteen and a service station, each with
rooms and weekly hours; weekly series (书法班、合唱团, fortnightly 太极拳 and 睦邻茶话), monthly
health talks, free clinics and party days, the festivals and the children's summer care, from a
year before the load day to three weeks after it. Past ones have their sign-ups — mostly cadres
and the street office by phone for registry persons, some by the street's resident account on
the web —, full ones a waiting list and a promotion when someone cancels, check-ins on the day,
walk-ins and attendance; a few were cancelled; upcoming ones are open with their first sign-ups.
Every write goes through the actions inside `clock.at()`, deterministic per street."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from civicgrid.community import checkin
from civicgrid.community.actions import activities as actions
from civicgrid.community.choices import (
    ActivityCategory,
    ActivityRecurrence,
    ActivityStatus,
    Audience,
    ContactChannel,
    SignUpStatus,
    VenueKind,
)
from civicgrid.community.models import Activity, SignUp, Venue
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.core.errors import ActionError
from civicgrid.residents.models import Person

WEEKDAYS = range(5)
HUB_HOURS = [(d, time(8, 30), time(11, 30)) for d in range(7)] + [
    (d, time(13, 30), time(20)) for d in range(7)
]
POINT_HOURS = [(d, time(9), time(11, 30)) for d in WEEKDAYS] + [(d, time(14), time(17)) for d in WEEKDAYS]
CANTEEN_HOURS = [(d, time(10, 30), time(13)) for d in range(7)] + [
    (d, time(16, 30), time(18, 30)) for d in range(7)
]
STATION_HOURS = [(d, time(9), time(17)) for d in range(6)]
# (title, category, audience, recurrence, weekday, start, minutes, venue key, room, capacity)
SERIES = (
    (
        "书法班",
        ActivityCategory.CULTURE,
        Audience.ELDERLY,
        ActivityRecurrence.WEEKLY,
        1,
        time(9, 30),
        90,
        "hub",
        "书画室",
        12,
    ),
    (
        "合唱团排练",
        ActivityCategory.CULTURE,
        Audience.EVERYONE,
        ActivityRecurrence.WEEKLY,
        3,
        time(14),
        120,
        "hub",
        "多功能厅",
        30,
    ),
    (
        "太极拳",
        ActivityCategory.SPORTS,
        Audience.ELDERLY,
        ActivityRecurrence.FORTNIGHTLY,
        0,
        time(8, 30),
        60,
        "point",
        "活动室",
        15,
    ),
    (
        "睦邻茶话",
        ActivityCategory.CULTURE,
        Audience.EVERYONE,
        ActivityRecurrence.FORTNIGHTLY,
        4,
        time(14, 30),
        90,
        "point",
        "活动室",
        10,
    ),
    (
        "健康讲座",
        ActivityCategory.HEALTH,
        Audience.ELDERLY,
        ActivityRecurrence.MONTHLY,
        2,
        time(9, 30),
        90,
        "hub",
        "多功能厅",
        40,
    ),
    (
        "家门口义诊",
        ActivityCategory.HEALTH,
        Audience.ELDERLY,
        ActivityRecurrence.MONTHLY,
        5,
        time(9),
        180,
        "station",
        "服务室",
        15,
    ),
    (
        "主题党日",
        ActivityCategory.PARTY,
        Audience.EVERYONE,
        ActivityRecurrence.MONTHLY,
        4,
        time(14),
        120,
        "hub",
        "多功能厅",
        30,
    ),
)
# (title, audience, month, day): the day each festival's activity is held, near the festival.
FESTIVALS = (
    ("春节联欢会", Audience.EVERYONE, 1, 24),
    ("元宵节猜灯谜", Audience.FAMILIES, 2, 12),
    ("端午节包粽子", Audience.ELDERLY, 5, 30),
    ("重阳节敬老宴", Audience.ELDERLY, 10, 22),
)


def at(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


def _venues(plan: Any, admin: Any) -> dict[str, Any]:
    street, areas = plan.street, plan.areas
    made: dict[str, Any] = {}
    specs = [
        (
            "hub",
            VenueKind.HUB,
            f"{street.name}邻里汇",
            None,
            [("多功能厅", 80), ("书画室", 20), ("活动室A", 30)],
            HUB_HOURS,
        ),
        (
            "canteen",
            VenueKind.CANTEEN,
            f"{street.name}长者食堂",
            areas[0] if areas else None,
            [("餐厅", 40)],
            CANTEEN_HOURS,
        ),
        (
            "station",
            VenueKind.SERVICE_STATION,
            f"{street.name}社区服务站",
            areas[-1] if areas else None,
            [("服务室", 15)],
            STATION_HOURS,
        ),
    ]
    specs += [
        (f"point{i}", VenueKind.NEIGHBOUR_POINT, f"{area.name}睦邻点", area, [("活动室", 25)], POINT_HOURS)
        for i, area in enumerate(areas)
    ]
    for key, kind, name, area, rooms, hours in specs:
        venue = actions.create_venue(
            admin,
            street=street,
            kind=kind,
            name=name,
            area=area,
            address=f"{street.name}{name}",
            accessible=True,
        )
        for room, capacity in rooms:
            actions.add_room(admin, venue, name=room, capacity=capacity)
        actions.set_hours(admin, venue, hours)
        made[key] = venue
    return made


def _organiser(plan: Any, activity: Activity) -> Any:
    """The committee's cadre runs their own committee's and the street-wide activities."""
    cadre, admin = plan.users.get(Role.CADRE), plan.users[Role.ADMIN]
    cadre_area = cadre.memberships.values_list("area_id", flat=True).first() if cadre else None
    return cadre if cadre and activity.area_id in (None, cadre_area) else admin


def _room(venue: Venue, name: str) -> Any:
    return venue.rooms.get(name=name)


def _plans(plan: Any, venues: dict[str, Any], admin: Any) -> list[Activity]:
    """Every activity of the year, published a week or two before it starts."""
    first, last = plan.today - timedelta(days=364), plan.today + timedelta(days=21)
    points = [v for k, v in venues.items() if k.startswith("point")]
    made: list[Activity] = []
    for title, category, audience, recurrence, weekday, starts, minutes, key, room, capacity in SERIES:
        places = points[:1] if key == "point" else [venues[key]]
        for venue in places:
            actor = _organiser(plan, Activity(area=venue.area))
            # A series of at most 60: a year of weekly ones is planned in two halves.
            halves = [(first, first + timedelta(days=181)), (first + timedelta(days=182), last)]
            for start, end in halves:
                with clock.at(at(start - timedelta(days=10), time(9))):
                    try:
                        made += actions.plan_series(
                            actor,
                            recurrence=recurrence,
                            weekday=weekday,
                            starts_at=starts,
                            minutes=minutes,
                            first_day=start,
                            last_day=end,
                            publish=True,
                            venue=venue,
                            room=_room(venue, room),
                            title=title,
                            category=category,
                            audience=audience,
                            organiser=venue.name,
                            capacity=capacity,
                            waiting_limit=5,
                        ).activities
                    except ActionError:  # a half without a matching day
                        continue
    hub = venues["hub"]
    for title, audience, month, day in FESTIVALS:
        held = date(plan.today.year, month, day)
        held = held if held <= last else date(plan.today.year - 1, month, day)
        made.append(
            _single(admin, hub, _room(hub, "多功能厅"), title, ActivityCategory.FESTIVAL, audience, held, 60)
        )
    summer = date(plan.today.year if plan.today.month > 8 else plan.today.year - 1, 7, 7)
    with clock.at(at(summer - timedelta(days=14), time(9))):
        made += actions.plan_series(
            admin,
            recurrence=ActivityRecurrence.WEEKLY,
            weekday=summer.weekday(),
            starts_at=time(9),
            minutes=180,
            first_day=summer,
            last_day=summer + timedelta(days=49),
            publish=True,
            venue=hub,
            room=_room(hub, "活动室A"),
            title="暑期爱心托管班",
            category=ActivityCategory.LEARNING,
            audience=Audience.CHILDREN,
            organiser=f"{plan.street.name}团工委",
            capacity=25,
            waiting_limit=10,
        ).activities
    return made


def _single(
    admin: Any, venue: Venue, room: Any, title: str, category: str, audience: str, day: date, capacity: int
) -> Activity:
    begins = at(day, time(14))
    with clock.at(begins - timedelta(days=14)):
        made = actions.create_activity(
            admin,
            venue=venue,
            room=room,
            title=title,
            category=category,
            audience=audience,
            organiser=venue.name,
            starts_at=begins,
            ends_at=begins + timedelta(hours=2),
            capacity=capacity,
            waiting_limit=10,
        )
        return actions.publish(made.pk, admin)


def _play(plan: Any, activity: Activity, people: dict[int, list[Person]], rng: Any) -> int:
    """Sign-ups, a cancellation (and the promotion it brings), check-ins, walk-ins and the end."""
    actor = _organiser(plan, activity)
    resident = plan.users.get(Role.RESIDENT)
    now = clock.now()
    opens = min(activity.starts_at - timedelta(days=3), now - timedelta(hours=2))
    if opens < activity.created_at:
        return 0
    wanted = rng.randint(max(activity.capacity // 3, 2), activity.capacity + 3)
    pool = people[actor.pk]
    made = 0
    with clock.at(opens):
        if resident is not None and rng.random() < 0.3:
            actions.sign_up(activity.pk, resident)
            made += 1
        for i, person in enumerate(rng.sample(pool, min(wanted, len(pool)))):
            with clock.at(opens + timedelta(minutes=i + 1)):
                try:
                    actions.sign_up(
                        activity.pk,
                        actor,
                        person=person.pk,
                        channel=rng.choice([ContactChannel.PHONE, ContactChannel.DESK]),
                    )
                except ActionError:  # full, waiting list too
                    break
                made += 1
    if activity.starts_at > now:
        return made
    live = SignUp.objects.filter(activity=activity).exclude(status=SignUpStatus.CANCELLED)
    if rng.random() < 0.03:
        with clock.at(activity.starts_at - timedelta(hours=20)):
            actions.cancel(activity.pk, actor, note="天气原因，活动取消")
        return made
    if live.filter(status=SignUpStatus.WAITING).exists():
        gone = live.filter(status=SignUpStatus.CONFIRMED, person__isnull=False).order_by("pk").last()
        if gone is not None:
            with clock.at(activity.starts_at - timedelta(days=1)):
                actions.cancel_sign_up(activity.pk, actor, sign_up=gone.pk, note="临时有事")
    confirmed = list(live.filter(status=SignUpStatus.CONFIRMED).order_by("pk"))
    # The resident scans the day's code at the door; the cadre ticks the others on the roster.
    code = checkin.code_for(activity.pk, timezone.localtime(activity.starts_at).date())
    for i, row in enumerate(confirmed):
        if rng.random() < 0.85:
            with clock.at(activity.starts_at - timedelta(minutes=15) + timedelta(seconds=20 * i)):
                if row.user_id:
                    actions.check_in(activity.pk, resident, sign_up=row.pk, code=code)
                else:
                    actions.check_in(activity.pk, actor, sign_up=row.pk)
    with clock.at(activity.ends_at + timedelta(minutes=10)):
        actions.finish(activity.pk, actor, walk_ins=rng.randint(0, 4))
    return made


def load(plan: Any) -> int:
    admin = plan.users.get(Role.ADMIN)
    if admin is None:
        return 0
    rng = plan.rng("activities")
    with clock.at(at(plan.today - timedelta(days=380), time(9))):
        venues = _venues(plan, admin)
    made = len(venues)
    activities = sorted(_plans(plan, venues, admin), key=lambda a: a.starts_at)
    made += len(activities)
    actors = {user.pk: user for user in (admin, plan.users.get(Role.CADRE)) if user is not None}
    people = {
        pk: list(Person.objects.restrict(user, "view").filter(street=plan.street).order_by("pk")[:300])
        for pk, user in actors.items()
    }
    for activity in activities:
        made += _play(plan, activity, people, rng)
    plan.made["venues"] = list(venues.values())
    held = Activity.objects.filter(street=plan.street).exclude(status=ActivityStatus.CANCELLED)
    plan.made["activities"] = list(held.order_by("starts_at"))
    return made
