"""Checking the work on site (核查): the desk or the grid worker passes it or sends it back."""

from django.utils.translation import gettext_noop

from .. import checkin
from ..choices import AssignmentRole, AssignmentStatus, CaseAction, NotificationKind, PhotoStage
from ..models import Assignment
from .frame import CaseContext, implements


@implements(CaseAction.VERIFY_PASS)
def verify_pass(ctx: CaseContext, *, note: str = "", photos: list, **position: float | None) -> None:
    check_in(ctx, **position)
    ctx.set(verified_at=ctx.now)
    ctx.note = note
    ctx.attach(photos, PhotoStage.AFTER)


@implements(CaseAction.VERIFY_FAIL)
def verify_fail(ctx: CaseContext, *, reason: str, photos: list, **position: float | None) -> None:
    check_in(ctx, **position)
    ctx.attach(photos, PhotoStage.AFTER)
    Assignment.objects.filter(
        case=ctx.case, role=AssignmentRole.LEAD, status=AssignmentStatus.HANDLED
    ).update(status=AssignmentStatus.SIGNED)
    ctx.set(handled_at=None)
    ctx.note = reason
    c = ctx.case
    ctx.notify_unit(
        c.lead_unit_id,
        NotificationKind.VERIFY_FAILED,
        gettext_noop("工单 %(number)s 核查不通过：%(reason)s"),
        f"verify-fail:{c.pk}:{c.version}",
        number=c.number,
        reason=reason,
    )


def check_in(
    ctx: CaseContext,
    checkin_lon: float | None = None,
    checkin_lat: float | None = None,
    checkin_accuracy: float | None = None,
) -> None:
    """The GPS check-in on the timeline row (shown on the case page) and in the event."""
    found = checkin.record(ctx.case, checkin_lon, checkin_lat, checkin_accuracy)
    if found is not None:
        ctx.data["checkin"] = found
        ctx.payload["checkin"] = {"distance_m": found["distance_m"], "far": found["far"]}
