"""The appointment times of an item on a day: from the centre's hours in steps of the street's
`community.slot_minutes`, on working days only (core.workdays), from today up to
`community.booking_days` ahead, each with the places its `ServiceSlot` row (written on the first
booking) has left. Nothing is written here: a slot row exists once someone booked it."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from civicgrid.core import clock, profile, workdays

from .models import ServiceItem, ServiceSlot


@dataclass(frozen=True)
class SlotTime:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int

    @property
    def left(self) -> int:
        return max(self.capacity - self.booked, 0)


def bookable_days(item: ServiceItem) -> list[date]:
    """The working days from today on which `item` may be booked."""
    today = clock.today()
    ahead = profile.value("community.booking_days", item.street_id)
    days = (today + timedelta(days=n) for n in range(ahead + 1))
    return [d for d in days if workdays.is_working_day(d)]


def times(item: ServiceItem, day: date) -> list[tuple[datetime, datetime]]:
    """The slot times of the centre's day (aware, local), none outside the booking window."""
    if day not in bookable_days(item):
        return []
    minutes = timedelta(minutes=profile.value("community.slot_minutes", item.street_id))
    centre = item.centre
    start = timezone.make_aware(datetime.combine(day, centre.opens))
    closes = timezone.make_aware(datetime.combine(day, centre.closes))
    out = []
    while start + minutes <= closes:
        out.append((start, start + minutes))
        start += minutes
    return out


def day_slots(item: ServiceItem, day: date) -> list[SlotTime]:
    """The slots of `day` still ahead, with the places left (one query for the booked rows)."""
    now = clock.now()
    ahead = [(start, end) for start, end in times(item, day) if start > now]
    rows = ServiceSlot.objects.filter(item=item, starts_at__in=[start for start, _ in ahead])
    taken = {
        start: (capacity, booked)
        for start, capacity, booked in rows.values_list("starts_at", "capacity", "booked")
    }
    return [SlotTime(start, end, *taken.get(start, (item.per_slot, 0))) for start, end in ahead]


def slot_end(item: ServiceItem, starts_at: datetime) -> datetime | None:
    """The end of the slot starting at `starts_at`, if it is one of the item's bookable times."""
    local = timezone.localtime(starts_at)
    return next((end for start, end in times(item, local.date()) if start == local), None)
