"""The demo's programmes (issue 17): for every street, a year of practical projects with targets,
milestones and progress (seed 002's rewiring and charging sites), member units with welfare
projects and claims (seed 004), and a representatives' meeting (seed 003) with proposals
answered and rated and a democratic evaluation. Every write goes through `programmes.actions`
inside `clock.at()`; each part plays its own module, all from the same `StreetPlan`."""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext

from civicgrid.accounts.models import User
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.demo.builder import DemoPlan
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit
from civicgrid.programmes.actions import sessions
from civicgrid.programmes.choices import SessionKind
from civicgrid.programmes.models import Project, Representative, Session
from civicgrid.residents.models import Person

from . import evaluations, projects, proposals, welfare

# Representatives per street: one for about every 150 households in the real meetings; the
# demo's committees get a handful each.
REPRESENTATIVES_PER_AREA = 4


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@dataclass
class StreetPlan:
    """What every part's demo needs of one street: its users by role (the first of each),
    its residential areas and units, the load day, a seeded random generator per part and the
    session of its representatives' meeting."""

    street: Area
    users: dict[str, User]
    areas: list[Area]
    units: list[Unit]
    today: date
    session: Session | None = None
    representatives: list[Representative] = field(default_factory=list)

    def rng(self, part: str) -> random.Random:
        return random.Random(f"demo-programmes-{part}-{self.street.code}")


def load_programmes(plan: DemoPlan) -> int:
    """Play every street without projects; returns how many rows the parts created."""
    today = clock.today()
    made = 0
    for code in plan.street_names:
        street = Area.objects.get(code=code)
        if Project.objects.filter(street=street).exists():
            continue
        users: dict[str, User] = {}
        for person in plan.users:
            if person.street_code == code and person.role not in users:
                users[person.role] = User.objects.get(username=person.username)
        street_plan = StreetPlan(
            street=street,
            users=users,
            areas=list(Area.objects.filter(parent=street, kind=AreaKind.RESIDENTIAL).order_by("code")),
            units=list(Unit.objects.filter(street=street).order_by("code")),
            today=today,
        )
        made += _meeting(street_plan)
        for part in (projects, welfare, proposals, evaluations):
            made += part.load(street_plan)
    return made


def _meeting(plan: StreetPlan) -> int:
    """The session of the street's representatives' meeting two months back, and its
    representatives: registered persons of each residential area where the registry has them."""
    admin = plan.users[Role.ADMIN]
    held = plan.today - timedelta(days=60)
    rng = plan.rng("meeting")
    with clock.at(at(held - timedelta(days=20), 9)):
        for area in plan.areas:
            people = list(
                Person.objects.filter(street=plan.street, household__flat__building__residential_area=area)
                .order_by("pk")
                .values_list("pk", "name")[:200]
            )
            for pk, name in rng.sample(people, min(REPRESENTATIVES_PER_AREA, len(people))):
                plan.representatives.append(
                    sessions.add_representative(
                        admin,
                        street=plan.street,
                        name=name,
                        person=pk,
                        area=area,
                        affiliation=gettext("居民"),
                        term_from=date(held.year - 1, 1, 1),
                    )
                )
        plan.session = sessions.create_session(
            admin,
            street=plan.street,
            kind=SessionKind.RESIDENTS,
            title=gettext("%(street)s第三届居民代表会议第二次会议") % {"street": plan.street.name},
            held_on=held,
            proposals_until=held + timedelta(days=7),
        )
    return len(plan.representatives) + 1
