"""AB角 routing: who takes an item's request at a moment. The item's A, unless A is away (a
`StaffLeave` covering the moment, not cancelled); then its B, unless B is away too; then the
centre's duty officer — even when the duty officer is away as well (the page warns), so a
request always has someone and no resident is turned away."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Responsible
from .models import ServiceItem, StaffLeave

BADGES: dict[str, Any] = {
    Responsible.B: _("A角请假，由B角办理"),
    Responsible.DUTY: _("A角、B角均不在岗，由值班人员办理"),
}
DUTY_AWAY = _("值班人员也不在岗，请联系服务中心负责人")


@dataclass(frozen=True)
class Route:
    user: Any
    responsible: str
    duty_away: bool = False

    @property
    def badge(self) -> str:
        return str(BADGES.get(self.responsible, ""))

    @property
    def warning(self) -> str:
        return str(DUTY_AWAY) if self.duty_away else ""


def away(user_ids: Iterable[int | None], at: datetime) -> set[int]:
    """Of these accounts, those on leave at `at` (one query)."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return set()
    # Every leave of the item's staff counts, whoever asks (a resident sees no leave rows).
    rows = StaffLeave.objects.filter(
        Q(user_id__in=ids, starts_at__lte=at, ends_at__gt=at, cancelled_at__isnull=True)
    )
    return set(rows.values_list("user_id", flat=True))


def _pick(item: ServiceItem, gone: set[int]) -> Route:
    if item.a_staff_id not in gone:
        return Route(item.a_staff, Responsible.A)
    if item.b_staff_id not in gone:
        return Route(item.b_staff, Responsible.B)
    duty = item.centre.duty_officer
    # No duty officer named: A stays responsible, with the warning, rather than nobody.
    return Route(duty or item.a_staff, Responsible.DUTY, duty_away=duty is None or duty.pk in gone)


def routes(items: Iterable[ServiceItem], at: datetime) -> dict[int, Route]:
    """Each item's route at `at` (items loaded with a_staff, b_staff and centre__duty_officer)."""
    items = list(items)
    staff = {pk for i in items for pk in (i.a_staff_id, i.b_staff_id, i.centre.duty_officer_id)}
    gone = away(staff, at)
    return {item.pk: _pick(item, gone) for item in items}


def route(item: ServiceItem, at: datetime) -> Route:
    return routes([item], at)[item.pk]


def responsible_for(item: ServiceItem, at: datetime) -> tuple[Any, str]:
    """(the account, A/B/DUTY) that takes `item`'s request at `at`."""
    found = route(item, at)
    return found.user, found.responsible
