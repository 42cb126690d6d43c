"""Attendance figures of held activities (the figures page, the dashboard panel and the API):
per month, venue and audience, how many were held, the places taken, check-ins, walk-ins and
the attendance rate (check-ins of those with a confirmed place)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import ActivityStatus, Audience, SignUpStatus
from .models import Activity


@dataclass
class Figures:
    label: str
    held: int = 0
    sign_ups: int = 0  # confirmed places
    check_ins: int = 0
    walk_ins: int = 0

    @property
    def attendance(self) -> int:
        return self.check_ins + self.walk_ins

    @property
    def rate(self) -> int | None:
        """Check-ins per hundred confirmed places (None: nobody signed up)."""
        return round(100 * self.check_ins / self.sign_ups) if self.sign_ups else None

    def add(self, row: Any) -> None:
        self.held += 1
        self.sign_ups += row.confirmed
        self.check_ins += row.checked
        self.walk_ins += row.walk_ins

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "held": self.held,
            "sign_ups": self.sign_ups,
            "check_ins": self.check_ins,
            "walk_ins": self.walk_ins,
            "attendance": self.attendance,
            "rate": self.rate,
        }


def held(rows: QuerySet[Activity]) -> QuerySet[Activity]:
    """The finished activities of `rows` with their confirmed places and check-ins."""
    return (
        rows.filter(status=ActivityStatus.DONE)
        .select_related("venue")
        .annotate(
            confirmed=Count("sign_ups", filter=Q(sign_ups__status=SignUpStatus.CONFIRMED)),
            checked=Count("sign_ups", filter=Q(sign_ups__checked_in_at__isnull=False)),
        )
        .order_by("starts_at", "pk")
    )


def _grouped(rows: Iterable[Any], key: Callable[[Any], tuple[Any, str]]) -> list[Figures]:
    groups: dict[Any, Figures] = {}
    for row in rows:
        sort, label = key(row)
        groups.setdefault(sort, Figures(label)).add(row)
    return [groups[k] for k in sorted(groups)]


@dataclass
class Attendance:
    total: Figures
    by_month: list[Figures]
    by_venue: list[Figures]
    by_audience: list[Figures]


def attendance(rows: QuerySet[Activity]) -> Attendance:
    found = list(held(rows))
    total = Figures(_("合计"))
    for row in found:
        total.add(row)
    audiences = list(Audience.values)

    def month(row: Any) -> tuple[Any, str]:
        local = timezone.localtime(row.starts_at)
        return (local.year, local.month), f"{local.year}-{local.month:02d}"

    def venue(row: Any) -> tuple[Any, str]:
        return (row.venue.name if row.venue else "~", row.venue_id or 0), row.where or _("其他地点")

    def audience(row: Any) -> tuple[Any, str]:
        return audiences.index(row.audience), str(Audience(row.audience).label)

    return Attendance(total, _grouped(found, month), _grouped(found, venue), _grouped(found, audience))
