"""The check-in code of an activity's day: what the organiser's QR code carries, signed so it
cannot be made up, and valid on that day only. A resident checks in only with it (they are at
the door); staff check people in from the roster without it."""

from datetime import date
from typing import Any

from django.core import signing

from civicgrid.core import clock

SALT = "community.checkin"


def code_for(activity_id: int, day: date) -> str:
    return signing.dumps([activity_id, day.isoformat()], salt=SALT)


def read_code(code: str) -> tuple[int, date] | None:
    try:
        pk, day = signing.loads(code, salt=SALT)
        return int(pk), date.fromisoformat(day)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def valid_today(activity: Any, code: str) -> bool:
    return bool(code) and read_code(code) == (activity.pk, clock.today())
