"""Response and handling deadlines of a case, from settings, category and urgency.

Precedence: emergency categories (or urgency "emergency") run on calendar minutes/hours;
otherwise the request type's working days from settings, overridden by the category (or
its nearest ancestor that says so), then shortened by the urgency setting if that is stricter.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from civicgrid.core.workdays import working_day_deadline

from .choices import Urgency


def policy() -> dict[str, Any]:
    return settings.CIVICGRID_CASE_DEADLINES


@dataclass(frozen=True)
class Deadlines:
    response_due_at: datetime
    handling_due_at: datetime


def compute(
    received_at: datetime, request_type: str, category: Any, urgency: str = Urgency.NORMAL
) -> Deadlines:
    conf = policy()
    if category.emergency or urgency == Urgency.EMERGENCY:
        emergency = conf["emergency"]
        response_minutes = category.inherited("response_minutes") or emergency["response_minutes"]
        handling_hours = category.inherited("handling_hours") or emergency["handling_hours"]
        return Deadlines(
            received_at + timedelta(minutes=int(response_minutes)),  # type: ignore[call-overload]
            received_at + timedelta(hours=int(handling_hours)),  # type: ignore[call-overload]
        )
    handling_days = int(category.inherited("handling_working_days") or conf["request_types"][request_type])
    response_minutes = category.inherited("response_minutes")
    response = (
        received_at + timedelta(minutes=int(response_minutes))  # type: ignore[call-overload]
        if response_minutes
        else working_day_deadline(received_at, int(conf["response_working_days"]))
    )
    handling = working_day_deadline(received_at, handling_days)
    stricter = conf.get("urgency", {}).get(urgency, {})
    if "response_minutes" in stricter:
        response = min(response, received_at + timedelta(minutes=int(stricter["response_minutes"])))
    if "handling_working_days" in stricter:
        handling = min(handling, working_day_deadline(received_at, int(stricter["handling_working_days"])))
    return Deadlines(response, max(response, handling) if handling < response else handling)


def callback_due(closed_at: datetime) -> datetime:
    return working_day_deadline(closed_at, int(policy()["callback_working_days"]))


def max_extension_days() -> int:
    return int(policy()["max_extension_working_days"])


def extended(due_at: datetime, working_days: int) -> datetime:
    """The handling deadline moved by an approved extension of N working days."""
    return working_day_deadline(due_at, working_days)
