"""The demo's volunteers, per street: three or four teams (a partner university's youth
volunteers, a company, the residents' own team, the party members' team), 40–80 volunteers
registered over the year — most linked to a person of the registry —, posts on about 30% of
the past activities the activities part made (`plan.made["activities"]`) with volunteers on
them and their hours confirmed the day after (a few absent), other service (助老送餐, 巡逻)
confirmed each month, and two or three entries reversed with their reasons. Every write goes
through `community.actions` inside `clock.at()`, dated relative to the load day."""

from datetime import timedelta
from typing import Any

# The package imports this module before it defines `at`: read it when called.
import civicgrid.demo.community as street_plan
from civicgrid.community.actions import volunteers as actions
from civicgrid.community.actions.frames import ACTIVITY_FRAME, VOLUNTEER_FRAME
from civicgrid.community.choices import (
    ActivityAction,
    ActivityStatus,
    Skill,
    TeamKind,
    VolunteerAction,
)
from civicgrid.community.models import HoursEntry, SlotAssignment, Volunteer, VolunteerSlot
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.residents.models import Person

UNIVERSITIES = ("同济大学青年志愿者协会", "复旦大学青年志愿者协会", "上海理工大学青年志愿者协会")
COMPANIES = ("城投物业志愿服务队", "杨浦供电公司共产党员服务队", "创智天地企业志愿者联盟")
POSTS = (("签到引导", 2, "2"), ("秩序维护", 2, "2.5"), ("茶水服务", 1, "1.5"), ("摄影宣传", 1, "2"))
OTHER = (("助老送餐", "1.5"), ("夜间巡逻", "2"), ("社区环境整治", "2.5"))
REVERSALS = ("重复登记，予以冲销", "实际未到岗，予以冲销", "时长登记有误，冲销后重新登记")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林"


def _teams(plan: Any, admin: Any, rng: Any) -> list[Any]:
    street = plan.street
    specs = [
        (rng.choice(UNIVERSITIES), TeamKind.UNIVERSITY, "高校"),
        (f"{street.name}居民志愿服务队", TeamKind.RESIDENTS, ""),
        (f"{street.name}党员志愿服务队", TeamKind.PARTY, f"{street.name}党工委"),
    ]
    if rng.random() < 0.6:
        specs.append((rng.choice(COMPANIES), TeamKind.COMPANY, "共建单位"))
    teams = []
    with clock.at(street_plan.at(plan.today - timedelta(days=365), 9)):
        for name, kind, partner in specs:
            teams.append(
                actions.create_team(
                    admin,
                    street=street,
                    name=name,
                    kind=kind,
                    partner=name[:4] if kind == TeamKind.UNIVERSITY else partner,
                    contact_name=f"{rng.choice(FAMILY)}老师",
                    contact_phone=f"139{rng.randrange(10**7, 10**8)}",
                )
            )
    return teams


def _register(plan: Any, admin: Any, teams: list[Any], rng: Any) -> list[Volunteer]:
    people = list(Person.objects.filter(street=plan.street).order_by("pk")[:2000])
    count = rng.randint(40, 80)
    linked = rng.sample(people, min(len(people), int(count * 0.7)))
    made = []
    for n in range(count):
        person = linked[n] if n < len(linked) else None
        joined = plan.today - timedelta(days=365 - n * 300 // count)
        with clock.at(street_plan.at(joined, 10)):
            made.append(
                actions.register_volunteer(
                    admin,
                    street=plan.street,
                    person=person,
                    name="" if person else f"{rng.choice(FAMILY)}{rng.choice(GIVEN)}{rng.choice(GIVEN)}",
                    phone=f"13{rng.randrange(10**8, 10**9)}",
                    team=rng.choice(teams),
                    area=rng.choice(plan.areas) if plan.areas else None,
                    skills=rng.sample(Skill.values, rng.randint(1, 3)),
                    availability=rng.choice(("周末上午", "工作日晚上", "周末全天", "随时")),
                )
            )
    return made


def _posts(plan: Any, actor: Any, volunteers: list[Volunteer], rng: Any) -> int:
    """Posts on about 30% of the past activities, filled and confirmed the day after."""
    now = clock.now()
    past = [
        a
        for a in plan.made.get("activities", [])
        if a.ends_at < now - timedelta(days=1) and a.status != ActivityStatus.CANCELLED
    ]
    rows = 0
    for activity in sorted(rng.sample(past, int(len(past) * 0.3)), key=lambda a: a.starts_at):
        with clock.at(activity.starts_at - timedelta(days=3)):
            for title, needed, hours in rng.sample(POSTS, rng.randint(1, 2)):
                ACTIVITY_FRAME.run(
                    activity.pk,
                    ActivityAction.ADD_SLOT,
                    actor,
                    {"title": title, "needed": needed, "hours": hours},
                )
                slot = VolunteerSlot.objects.filter(activity=activity).latest("pk")
                rows += 1
                chosen = [v for v in rng.sample(volunteers, needed + 2) if v.joined_on <= clock.today()]
                taken = set(
                    SlotAssignment.objects.filter(slot__activity=activity).values_list("volunteer", flat=True)
                )
                for volunteer in [v for v in chosen if v.pk not in taken][:needed]:
                    ACTIVITY_FRAME.run(
                        activity.pk,
                        ActivityAction.ASSIGN_VOLUNTEER,
                        actor,
                        {"slot": slot.pk, "volunteer": volunteer.pk},
                    )
                    rows += 1
        assignments = list(
            SlotAssignment.objects.filter(slot__activity=activity)
            .select_related("slot", "slot__activity")
            .order_by("pk")
        )
        with clock.at(activity.ends_at + timedelta(days=1)):
            absent = [a for a in assignments if rng.random() < 0.08]
            for assignment in absent:
                ACTIVITY_FRAME.run(
                    activity.pk, ActivityAction.MARK_ABSENT, actor, {"assignment": assignment.pk}
                )
            rows += len(actions.confirm_served(actor, [a for a in assignments if a not in absent]))
    return rows


def _other_service(plan: Any, actor: Any, volunteers: list[Volunteer], rng: Any) -> int:
    """Each month a few volunteers' other service (助老送餐, 巡逻), confirmed at the month's end."""
    rows = 0
    for back in range(11, -1, -1):
        day = plan.today - timedelta(days=30 * back + 2)
        with clock.at(street_plan.at(day, 17)):
            ready = [v for v in volunteers if v.joined_on <= day]
            for volunteer in rng.sample(ready, min(len(ready), rng.randint(3, 8))):
                what, hours = rng.choice(OTHER)
                served = max(volunteer.joined_on, day - timedelta(days=rng.randint(0, 6)))
                VOLUNTEER_FRAME.run(
                    volunteer.pk,
                    VolunteerAction.CONFIRM_HOURS,
                    actor,
                    {"served_on": served, "hours": hours, "description": what},
                )
                rows += 1
    return rows


def _reversals(plan: Any, admin: Any, rng: Any) -> int:
    entries = list(HoursEntry.objects.filter(street=plan.street, reverses__isnull=True).order_by("pk"))
    chosen = rng.sample(entries, min(len(entries), rng.randint(2, 3)))
    now = clock.now()
    for entry, reason in zip(chosen, REVERSALS, strict=False):
        # Noticed a little after it was confirmed (within the last weeks), never after the load.
        moment = min(max(entry.confirmed_at + timedelta(hours=2), now - timedelta(days=20)), now)
        with clock.at(moment):
            VOLUNTEER_FRAME.run(
                entry.volunteer_id, VolunteerAction.REVERSE_HOURS, admin, {"entry": entry.pk, "note": reason}
            )
    return len(chosen)


def load(plan: Any) -> int:
    admin = plan.users.get(Role.ADMIN)
    if admin is None:
        return 0
    actor = plan.users.get(Role.CADRE, admin)
    rng = plan.rng("volunteers")
    teams = _teams(plan, admin, rng)
    volunteers = _register(plan, admin, teams, rng)
    made = len(teams) + len(volunteers)
    made += _posts(plan, admin, volunteers, rng)
    made += _other_service(plan, actor, volunteers, rng)
    made += _reversals(plan, admin, rng)
    plan.made["volunteers"] = volunteers
    return made
