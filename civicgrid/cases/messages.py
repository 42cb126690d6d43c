"""The e-mails and text messages of a case's notices (docs/notifications.md).

A notice of a kind in `KINDS` also goes, beside the inbox, to each recipient's e-mail address
and — staff only — phone, and to the reporter's phone: rendered from the street's templates
(profile_settings.MESSAGE_DEFAULTS, 街道配置) in the recipient's language, and handed to
core.messaging, which logs and sends them after the commit. Residents read the public
wording (cases.public) and the link `resident_link()` gives; staff the case's page.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from civicgrid.core import profile
from civicgrid.core.choices import MessageChannel, Role
from civicgrid.core.messaging import Message
from civicgrid.core.notifications import page_of
from civicgrid.core.personal import unmasked

from .choices import CaseStatus, NotificationKind, PublicStatus
from .models import Case
from .profile_settings import EMAIL_TEMPLATE, MESSAGE_DEFAULTS, SMS_TEMPLATE, message_key
from .public import PUBLIC_STATUS, PUBLIC_STEPS, public_case, resident_link

KINDS = frozenset(MESSAGE_DEFAULTS)
# The states whose notice tells the reporter the result (cases.public shows it from then on).
RESULT_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.REJECTED})


def variables(
    kind: str, case: Case, *, resident: bool, note: str = "", step: str = "", status: str = ""
) -> dict[str, Any]:
    """The templates' variables (profile_settings.MESSAGE_VARIABLES), in the active language.
    A resident's `status` and `note` are those of the change (`step`: its action, `status`:
    the public status it led to), however late the message is written."""
    if resident:
        shown = PublicStatus(status) if status else PUBLIC_STATUS[case.status]
        if kind == NotificationKind.CASE_RESULT:
            note = public_case(case).result
        elif step in PUBLIC_STEPS:
            note = str(PUBLIC_STEPS[step])
        label, link = str(shown.label), resident_link(case)
    else:
        label, link = case.get_status_display(), f"{settings.CIVICGRID_SITE_URL}{page_of(case)}"
    due = case.handling_due_at
    return {
        "number": case.number,
        "category": case.category.label,
        "status": label,
        "deadline": f"{timezone.localtime(due):%Y-%m-%d %H:%M}" if due else "",
        "link": link,
        "note": note,
    }


def render(kind: str, case: Case, language: str, **context: Any) -> tuple[str, str, str]:
    """(text message, e-mail subject, e-mail body) of `kind` about `case` in `language`."""
    conf = profile.for_area(case.street_id)
    with translation.override(language or settings.LANGUAGE_CODE):
        values = variables(kind, case, **context)
        text = SMS_TEMPLATE.render(conf[message_key(kind, "sms")], values)
        email = EMAIL_TEMPLATE.render(conf[message_key(kind, "email")], values)
    subject, _newline, body = email.partition("\n")
    return text, subject.strip(), body.strip()


def build(
    kind: str, case: Case, key: str, users: Iterable[Any], reporter_phone: str = "", **context: Any
) -> list[Message]:
    """The messages of one notice: an e-mail to every user with an address, a text message to
    every staff member with a phone and to `reporter_phone`."""
    if kind not in KINDS:
        return []
    out: list[Message] = []
    reporter_language = ""
    for user in users:
        resident = user.role == Role.RESIDENT
        reporter_language = user.language if resident else reporter_language
        text, subject, body = render(kind, case, user.language, resident=resident, **context)
        email, phone = unmasked(user.email), unmasked(user.phone)
        if email:
            out.append(Message(MessageChannel.EMAIL, email, kind, body, key, subject, user.pk))
        if phone and not resident:  # a resident is texted at the number the report gave
            out.append(Message(MessageChannel.SMS, phone, kind, text, key, user_id=user.pk))
    if reporter_phone:
        text, _subject, _body = render(kind, case, reporter_language, resident=True, **context)
        out.append(Message(MessageChannel.SMS, reporter_phone, kind, text, key))
    return out
