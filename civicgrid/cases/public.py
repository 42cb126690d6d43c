"""The one public view of a case: what the public tracking page shows, what a resident's API
token reads, what Open311 and the future newsletter may say about it.

Status in public wording (a merged case reads as its master), the category, when it was
received, the public steps of the timeline (the wording of `Transition.public`, never a
note, a staff name or a unit) and, once it is closed or rejected, the result — the public
result the desk approved at close (the handler's report, `Case.public_result`), never the
internal closing note — with the personal data residents type into free text masked
(core.redact). Nothing else. The pages that hold the resident's tracking link also show the
photos the desk marked public (`public_photos`) and the resident's own rating (`public_rating`).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from civicgrid.core.choices import Action, Role
from civicgrid.core.querysets import user_scope
from civicgrid.core.redact import redact

from .choices import CaseStatus, PublicStatus
from .models import Case, CaseEvent, Photo
from .tracking import token_for
from .workflow import MACHINE

MY_REPORTS_LIMIT = 50
# What the public timeline says for each action that has a public wording.
PUBLIC_STEPS: dict[str, Any] = MACHINE.public_steps()
PUBLIC_STATUS: dict[str, PublicStatus] = {
    CaseStatus.NEW: PublicStatus.ACCEPTED,
    CaseStatus.FILED: PublicStatus.IN_PROGRESS,
    CaseStatus.DISPATCHED: PublicStatus.IN_PROGRESS,
    CaseStatus.IN_PROGRESS: PublicStatus.IN_PROGRESS,
    CaseStatus.HANDLED: PublicStatus.IN_PROGRESS,
    CaseStatus.VERIFIED: PublicStatus.IN_PROGRESS,
    CaseStatus.RETURNED: PublicStatus.IN_PROGRESS,
    CaseStatus.REOPENED: PublicStatus.IN_PROGRESS,
    CaseStatus.CLOSED: PublicStatus.CLOSED,
    CaseStatus.REJECTED: PublicStatus.REJECTED,
    CaseStatus.SUSPENDED: PublicStatus.SUSPENDED,
    CaseStatus.MERGED: PublicStatus.MERGED,
}


@dataclass(frozen=True)
class PublicStep:
    at: datetime
    text: str


@dataclass(frozen=True)
class PublicCase:
    number: str
    category_code: str
    category_name: str
    received_at: datetime
    status: PublicStatus
    result: str
    steps: list[PublicStep]

    @property
    def status_label(self) -> str:
        return str(self.status.label)


def public_events(events: QuerySet[CaseEvent]) -> QuerySet[CaseEvent]:
    """The timeline rows the public reads (those whose action has a public wording)."""
    return events.filter(action__in=list(PUBLIC_STEPS)).only("id", "at", "action")


def public_step(event: CaseEvent) -> PublicStep:
    return PublicStep(event.at, str(PUBLIC_STEPS[event.action]))


def public_steps(case: Case) -> list[PublicStep]:
    # all(): the rows a listing prefetched (CaseEvent is ordered by time).
    return [public_step(e) for e in case.events.all() if e.action in PUBLIC_STEPS]


def _shown(case: Case) -> Case:
    """The case whose state and result the public reads: a merged case reads as its master."""
    shown = case.master if case.status == CaseStatus.MERGED and case.master_id else case
    assert shown is not None
    return shown


def public_status(case: Case) -> PublicStatus:
    return PUBLIC_STATUS[_shown(case).status]


def public_case(case: Case) -> PublicCase:
    """The case as the public may read it (module docstring)."""
    shown = _shown(case)
    closed = shown.status in (CaseStatus.CLOSED, CaseStatus.REJECTED)
    return PublicCase(
        number=case.number,
        category_code=case.category.code,
        category_name=case.category.label,
        received_at=case.received_at,
        status=public_status(case),
        result=redact(shown.public_result) if closed else "",
        steps=public_steps(case),
    )


def public_description(case: Case) -> str:
    """The description as it may be published (Open311, the newsletter): personal data masked."""
    return redact(case.description)


@dataclass(frozen=True)
class PublicRating:
    at: datetime
    satisfaction: str
    resolution: str
    comment: str


def public_rating(case: Case) -> PublicRating | None:
    """The resident's own rating (cases.tracking), its comment redacted; None before it."""
    rating = case.callbacks.filter(by_resident=True).order_by("at", "id").first()
    if rating is None:
        return None
    return PublicRating(
        at=rating.at,
        satisfaction=rating.get_satisfaction_display(),
        resolution=rating.get_resolution_display(),
        comment=redact(rating.note),
    )


def public_photos(case: Case) -> QuerySet[Photo]:
    """The photos of this very case the desk marked public (served only through its link)."""
    return case.photos.filter(public=True).order_by("uploaded_at", "id")


@dataclass(frozen=True)
class MyReport:
    """One line of 我的反映: the case, its status in public wording and its tracking link."""

    case: Case
    status: PublicStatus
    link: str


def my_reports(user: Any) -> list[MyReport]:
    """A signed-in resident's own cases, newest first (我的反映: the home page, the report
    form, the follow page); nobody else has any."""
    if not reads_public_view(user):
        return []
    cases = Case.objects.restrict(user, Action.VIEW).select_related("category", "master")[:MY_REPORTS_LIMIT]
    return [MyReport(c, public_status(c), reverse("report:track", args=[token_for(c)])) for c in cases]


def resident_link(case: Case) -> str:
    """The absolute link a message to the reporter carries to follow the case: signed and
    revocable (cases.tracking)."""
    return f"{settings.CIVICGRID_SITE_URL}{reverse('report:track', args=[token_for(case)])}"


def reads_public_view(user: Any) -> bool:
    """Residents read their own cases only as the public does (the page and the API alike)."""
    scope = user_scope(user)
    return scope is not None and scope.role == Role.RESIDENT
