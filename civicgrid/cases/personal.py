"""A case's personal data shown in full: the one place the cases app calls core.privacy.reveal().

Pages and API answers carry the reporter's phone masked (an encrypted personal field,
core.personal) and the description with the personal data typed into it masked
(core.redact, registered as redacted text in apps.py); these reveal them to a caller who
may (privacy.reveal_phone, checked by the caller), with the caller's reason, and log each.
"""

from typing import Any

from civicgrid.core import personal, privacy

from .models import Case

PHONE = "phone"
DESCRIPTION = "description"
# What the callers ask for → the case's attribute, logged as "cases.case.<attribute>".
FIELDS = {PHONE: "reporter_phone", DESCRIPTION: "description"}


def full_value(case: Case, what: str) -> str:
    return personal.unmasked(getattr(case, FIELDS[what]) or "")


def reveal_personal(user: Any, case: Case, what: str, via: str, reason: str) -> str:
    """The full value of `what` (PHONE, DESCRIPTION), logged with `reason` as one
    PersonalDataAccess row; InvalidInput naming `reason` without one."""
    return privacy.reveal(user, case, FIELDS[what], reason=reason, via=via)
