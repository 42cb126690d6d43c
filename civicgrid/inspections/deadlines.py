"""A rectification order's deadline: the severity's default from the street profile
(working days, or hours where the profile says 0 days), or what the inspector set; counted on
the kernel's working-day calendar (core.workdays)."""

from dataclasses import dataclass
from datetime import datetime

from civicgrid.core import profile, workdays

from .choices import DeadlineUnit


@dataclass(frozen=True)
class Deadline:
    amount: int
    unit: str  # DeadlineUnit

    def due(self, issued_at: datetime) -> datetime:
        if self.unit == DeadlineUnit.HOURS:
            return workdays.calendar_hours_deadline(issued_at, hours=self.amount)
        return workdays.working_day_deadline(issued_at, self.amount)


def default(severity: str, street_id: int | None) -> Deadline:
    """The street's default deadline for a finding of `severity`."""
    days = int(profile.value("inspections.deadline_days", street_id).get(str(severity), 0))
    if days:
        return Deadline(days, DeadlineUnit.WORKING_DAYS)
    return Deadline(int(profile.value("inspections.major_deadline_hours", street_id)), DeadlineUnit.HOURS)


def chosen(severity: str, street_id: int | None, amount: int | None, unit: str | None) -> Deadline:
    """The inspector's deadline when they set one (amount and unit), else the default."""
    if amount:
        return Deadline(int(amount), unit or DeadlineUnit.WORKING_DAYS)
    return default(severity, street_id)
