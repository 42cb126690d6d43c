"""Response and handling deadlines of a case, from the street's profile, category and urgency.

Precedence: emergency categories (or urgency "emergency") run on calendar minutes/hours;
otherwise the request type's working days from the street's profile (cases/profile_settings.py),
overridden by the category (or its nearest ancestor that says so), then shortened by the
urgent limits if that is stricter. `street_id=None` means the city default (no street yet).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from civicgrid.core import profile
from civicgrid.core.workdays import SHANGHAI, working_day_deadline

from .choices import Urgency


@dataclass(frozen=True)
class Policy:
    """The time limits a street works to (read from its profile)."""

    response_working_days: int
    handling_working_days: dict[str, int]  # per request type
    urgent_response_minutes: int
    urgent_handling_working_days: int
    emergency_response_minutes: int
    emergency_handling_hours: int
    callback_working_days: int
    max_extension_working_days: int


def policy(street_id: int | None = None) -> Policy:
    p = profile.for_area(street_id)
    return Policy(**{name: p[f"cases.{name}"] for name in Policy.__dataclass_fields__})


@dataclass(frozen=True)
class Deadlines:
    response_due_at: datetime
    handling_due_at: datetime


@dataclass(frozen=True)
class Rule:
    """The limits that apply to a category and request type before urgency: either calendar
    minutes/hours (emergencies, or a category's own response minutes) or working days."""

    response_minutes: int | None
    response_working_days: int | None
    handling_working_days: int | None
    handling_hours: int | None


def _own(category: Any, field: str) -> int | None:
    value = category.inherited(field)
    return int(value) if value not in (None, "") else None


def rule(category: Any, request_type: str, urgency: str = Urgency.NORMAL, conf: Policy | None = None) -> Rule:
    conf = conf or policy()
    if category.emergency or urgency == Urgency.EMERGENCY:
        return Rule(
            response_minutes=_own(category, "response_minutes") or conf.emergency_response_minutes,
            response_working_days=None,
            handling_working_days=None,
            handling_hours=_own(category, "handling_hours") or conf.emergency_handling_hours,
        )
    minutes = _own(category, "response_minutes")
    return Rule(
        response_minutes=minutes,
        response_working_days=None if minutes else conf.response_working_days,
        handling_working_days=_own(category, "handling_working_days")
        or conf.handling_working_days[request_type],
        handling_hours=None,
    )


def compute(
    received_at: datetime,
    request_type: str,
    category: Any,
    urgency: str = Urgency.NORMAL,
    street_id: int | None = None,
    *,
    conf: Policy | None = None,
) -> Deadlines:
    """The deadlines of a case of `street_id` (callers with many cases pass its `conf`)."""
    conf = conf or policy(street_id)
    limits = rule(category, request_type, urgency, conf)
    if limits.response_minutes is not None:
        response = received_at + timedelta(minutes=limits.response_minutes)
    else:
        response = working_day_deadline(received_at, int(limits.response_working_days or 0))
    if limits.handling_hours is not None:
        return Deadlines(response, received_at + timedelta(hours=limits.handling_hours))
    handling = working_day_deadline(received_at, int(limits.handling_working_days or 0))
    if urgency == Urgency.URGENT:
        response = min(response, received_at + timedelta(minutes=conf.urgent_response_minutes))
        handling = min(handling, working_day_deadline(received_at, conf.urgent_handling_working_days))
    # Handling can never be due before the response.
    return Deadlines(response, max(response, handling))


class Memo:
    """compute() for many cases (bulk intake): each street's policy is read once, the rule per
    (street, request type, category, urgency) worked out once, and deadlines that depend only
    on the day of receipt (working-day limits, no clock minutes or hours) once per day."""

    def __init__(self) -> None:
        self._policies: dict[int | None, Policy] = {}
        self._by_day: dict[tuple[Any, ...], Deadlines] = {}
        self._day_only: dict[tuple[Any, ...], bool] = {}

    def compute(
        self,
        received_at: datetime,
        request_type: str,
        category: Any,
        urgency: str,
        street_id: int | None = None,
    ) -> Deadlines:
        conf = self._policies.get(street_id)
        if conf is None:
            conf = self._policies[street_id] = policy(street_id)
        key = (street_id, request_type, category.pk, urgency)
        day_only = self._day_only.get(key)
        if day_only is None:
            limits = rule(category, request_type, urgency, conf)
            day_only = self._day_only[key] = (
                limits.response_minutes is None
                and limits.handling_hours is None
                and urgency != Urgency.URGENT
            )
        if not day_only:
            return compute(received_at, request_type, category, urgency, conf=conf)
        day_key = (*key, received_at.astimezone(SHANGHAI).date())
        found = self._by_day.get(day_key)
        if found is None:
            found = self._by_day[day_key] = compute(received_at, request_type, category, urgency, conf=conf)
        return found


def callback_due(closed_at: datetime, street_id: int | None = None) -> datetime:
    """When the callback (and a reopened case's re-check, 回访复核) is due."""
    return working_day_deadline(closed_at, policy(street_id).callback_working_days)


def max_extension_days(street_id: int | None = None) -> int:
    return policy(street_id).max_extension_working_days


def extended(due_at: datetime, working_days: int) -> datetime:
    """The handling deadline moved by an approved extension of N working days."""
    return working_day_deadline(due_at, working_days)
