"""The resident's personal tracking link: a signed reference to one case that opens its
public view (cases.public) without retyping the number and phone digits.

The token signs the case id and the case's `link_version` (Django's signing, salted, with the
site's secret key), so it cannot be guessed or altered. The desk revokes every link of a case
with the action 撤销跟踪链接, which bumps the version; `resident_link()` then signs the next
one (re-issued). A link also lapses `cases.tracking_link_days` after the case was closed or
rejected (street profile), counted on `core.clock`, never on the signature's own time.
"""

from datetime import timedelta
from enum import Enum

from django.core import signing

from civicgrid.core import clock, profile

from .choices import CaseStatus
from .models import Case

SALT = "civicgrid.cases.tracking"


class LinkProblem(Enum):
    UNKNOWN = "unknown"  # garbled, tampered with or naming no case: 404
    REVOKED = "revoked"  # 410
    EXPIRED = "expired"  # 410


class BadLink(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def token_for(case: Case) -> str:
    return signing.dumps([case.pk, case.link_version], salt=SALT, compress=True)


def case_for(token: str) -> Case:
    """The case a link names, or BadLink saying why not."""
    try:
        pk, version = signing.loads(token, salt=SALT)
        pk, version = int(pk), int(version)
    except (signing.BadSignature, TypeError, ValueError):
        raise BadLink(LinkProblem.UNKNOWN) from None
    # The signed link is the permission: it names this one case.
    case = Case.objects.filter(pk=pk).select_related("category", "master").first()
    if case is None:
        raise BadLink(LinkProblem.UNKNOWN)
    if version != case.link_version:
        raise BadLink(LinkProblem.REVOKED)
    if lapsed(case):
        raise BadLink(LinkProblem.EXPIRED)
    return case


def lapsed(case: Case) -> bool:
    if case.closed_at is None or case.status not in (CaseStatus.CLOSED, CaseStatus.REJECTED):
        return False
    days = profile.value("cases.tracking_link_days", case.street_id)
    return clock.now() > case.closed_at + timedelta(days=days)
