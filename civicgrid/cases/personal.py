"""A case's personal data shown in full: the one place the cases app calls core.privacy.reveal().

Pages and API answers carry the reporter's phone masked and the description with the
personal data typed into it masked (core.redact); these reveal them to a caller who may
(privacy.reveal_phone, checked by the caller) and log each reveal.
"""

from typing import Any

from civicgrid.core import privacy

from .models import Case

PHONE = "phone"
DESCRIPTION = "description"
# What the callers ask for → the logged field and the case's attribute that holds it in full.
FIELDS = {
    PHONE: (privacy.PersonalField.REPORTER_PHONE, "reporter_phone"),
    DESCRIPTION: (privacy.PersonalField.DESCRIPTION, "description"),
}


def full_value(case: Case, what: str) -> str:
    return str(getattr(case, FIELDS[what][1]) or "")


def reveal_personal(user: Any, case: Case, what: str, via: str, reason: str = "") -> str:
    """The full value of `what` (PHONE, DESCRIPTION), logged as one PersonalDataAccess row."""
    return privacy.reveal(user, case, FIELDS[what][0], full_value(case, what), via, reason=reason)
