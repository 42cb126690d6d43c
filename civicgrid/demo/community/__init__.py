"""The demo's community life (issue 18): for every street, its venues and a year of activities
with sign-ups, check-ins and attendance, volunteers and their confirmed hours, the service
centre's catalogue with AB roles, leave, appointments and 上门办, and one composed newsletter
issue. Every write goes through `community.actions` inside `clock.at()`; each part plays its own
module, in this order (the newsletter is composed from what the others made), all from the
same `StreetPlan`."""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.community.models import Venue
from civicgrid.core import clock
from civicgrid.demo.builder import DemoPlan
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from . import activities, newsletter, service, volunteers


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@dataclass
class StreetPlan:
    """What every part's demo needs of one street: its users by role (the first of each), its
    residential areas and units, the load day, a seeded random generator per part, and what
    earlier parts made that later ones use (`made`: e.g. the venues and activities for the
    volunteers' posts)."""

    street: Area
    users: dict[str, User]
    areas: list[Area]
    units: list[Unit]
    today: date
    made: dict[str, Any] = field(default_factory=dict)

    def rng(self, part: str) -> random.Random:
        return random.Random(f"demo-community-{part}-{self.street.code}")


def load_community(plan: DemoPlan) -> int:
    """Play every street without venues; returns how many rows the parts created."""
    today = clock.today()
    made = 0
    for code in plan.street_names:
        street = Area.objects.get(code=code)
        if Venue.objects.filter(street=street).exists():
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
        for part in (activities, volunteers, service, newsletter):
            made += part.load(street_plan)
    return made
