"""Response and handling deadlines of a case, from settings, category and urgency.

Precedence: emergency categories (or urgency "emergency") run on calendar minutes/hours;
otherwise the request type's working days from settings, overridden by the category (or
its nearest ancestor that says so), then shortened by the urgency setting if that is stricter.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from civicgrid.core.workdays import SHANGHAI, working_day_deadline

from .choices import Urgency


def policy() -> dict[str, Any]:
    return settings.CIVICGRID_CASE_DEADLINES


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


def rule(category: Any, request_type: str, urgency: str = Urgency.NORMAL) -> Rule:
    conf = policy()
    if category.emergency or urgency == Urgency.EMERGENCY:
        emergency = conf["emergency"]
        return Rule(
            response_minutes=_own(category, "response_minutes") or int(emergency["response_minutes"]),
            response_working_days=None,
            handling_working_days=None,
            handling_hours=_own(category, "handling_hours") or int(emergency["handling_hours"]),
        )
    minutes = _own(category, "response_minutes")
    return Rule(
        response_minutes=minutes,
        response_working_days=None if minutes else int(conf["response_working_days"]),
        handling_working_days=_own(category, "handling_working_days")
        or int(conf["request_types"][request_type]),
        handling_hours=None,
    )


def compute(
    received_at: datetime, request_type: str, category: Any, urgency: str = Urgency.NORMAL
) -> Deadlines:
    limits = rule(category, request_type, urgency)
    if limits.response_minutes is not None:
        response = received_at + timedelta(minutes=limits.response_minutes)
    else:
        response = working_day_deadline(received_at, int(limits.response_working_days or 0))
    if limits.handling_hours is not None:
        return Deadlines(response, received_at + timedelta(hours=limits.handling_hours))
    handling = working_day_deadline(received_at, int(limits.handling_working_days or 0))
    stricter = policy().get("urgency", {}).get(urgency, {})
    if "response_minutes" in stricter:
        response = min(response, received_at + timedelta(minutes=int(stricter["response_minutes"])))
    if "handling_working_days" in stricter:
        handling = min(handling, working_day_deadline(received_at, int(stricter["handling_working_days"])))
    # Handling can never be due before the response.
    return Deadlines(response, max(response, handling))


class Memo:
    """compute() for many cases (bulk intake): the rule per (request type, category, urgency)
    is worked out once, and deadlines that depend only on the day of receipt (working-day
    limits, no clock minutes or hours) once per day."""

    def __init__(self) -> None:
        self._by_day: dict[tuple[Any, ...], Deadlines] = {}
        self._day_only: dict[tuple[Any, ...], bool] = {}

    def compute(self, received_at: datetime, request_type: str, category: Any, urgency: str) -> Deadlines:
        key = (request_type, category.pk, urgency)
        day_only = self._day_only.get(key)
        if day_only is None:
            limits = rule(category, request_type, urgency)
            day_only = self._day_only[key] = (
                limits.response_minutes is None
                and limits.handling_hours is None
                and "response_minutes" not in policy().get("urgency", {}).get(urgency, {})
            )
        if not day_only:
            return compute(received_at, request_type, category, urgency)
        day_key = (*key, received_at.astimezone(SHANGHAI).date())
        found = self._by_day.get(day_key)
        if found is None:
            found = self._by_day[day_key] = compute(received_at, request_type, category, urgency)
        return found


def callback_due(closed_at: datetime) -> datetime:
    return working_day_deadline(closed_at, int(policy()["callback_working_days"]))


def max_extension_days() -> int:
    return int(policy()["max_extension_working_days"])


def extended(due_at: datetime, working_days: int) -> datetime:
    """The handling deadline moved by an approved extension of N working days."""
    return working_day_deadline(due_at, working_days)
