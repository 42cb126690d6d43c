"""The handling unit's steps: sign, return, ask for more time, report back; and the desk's
decision on the extension."""

from django.utils.translation import gettext_noop

from .. import deadlines
from ..choices import (
    ACTIVE_ASSIGNMENT_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    CaseAction,
    ExtensionStatus,
    NotificationKind,
    PhotoStage,
)
from ..models import Assignment, ExtensionRequest
from ..notifications import desk, grid
from .common import actor_or_none
from .frame import CaseContext, implements


@implements(CaseAction.SIGN)
def sign_case(ctx: CaseContext, *, note: str = "") -> None:
    mine = ctx.assignments({AssignmentStatus.PENDING})
    for a in mine:
        a.status, a.signed_at, a.signed_by = AssignmentStatus.SIGNED, ctx.now, actor_or_none(ctx.actor)
        a.save(update_fields=["status", "signed_at", "signed_by"])
    ctx.unit = mine[0].unit
    ctx.respond()
    ctx.note = note


@implements(CaseAction.RETURN)
def return_case(ctx: CaseContext, *, reason: str) -> None:
    mine = ctx.assignments({AssignmentStatus.PENDING, AssignmentStatus.SIGNED})
    for a in mine:
        a.status, a.returned_at, a.return_reason = AssignmentStatus.RETURNED, ctx.now, reason
        a.save(update_fields=["status", "returned_at", "return_reason"])
    ctx.unit = mine[0].unit
    if any(a.role == AssignmentRole.LEAD for a in mine):
        ctx.set(lead_unit=None)
    ctx.note = reason
    c = ctx.case
    ctx.notify(
        desk(c.street_id),
        NotificationKind.RETURNED,
        gettext_noop("%(unit)s 退回工单 %(number)s：%(reason)s"),
        f"return:{c.pk}:{c.version}",
        unit=ctx.unit.name,
        number=c.number,
        reason=reason,
    )


@implements(CaseAction.REQUEST_EXTENSION)
def request_extension(ctx: CaseContext, *, working_days: int, reason: str) -> None:
    lead = ctx.assignments({AssignmentStatus.PENDING, AssignmentStatus.SIGNED})[0]
    ExtensionRequest.objects.create(
        case=ctx.case,
        unit=lead.unit,
        requested_by=actor_or_none(ctx.actor),
        requested_at=ctx.now,
        working_days=working_days,
        reason=reason,
        old_due_at=ctx.case.handling_due_at,
        street_id=ctx.case.street_id,
    )
    ctx.unit, ctx.note, ctx.data["working_days"] = lead.unit, reason, working_days
    c = ctx.case
    ctx.notify(
        desk(c.street_id),
        NotificationKind.EXTENSION,
        gettext_noop("%(unit)s 申请工单 %(number)s 延期 %(days)s 个工作日"),
        f"ext-req:{c.pk}:{c.version}",
        unit=lead.unit.name,
        number=c.number,
        days=working_days,
    )


def _decide_extension(ctx: CaseContext, note: str) -> None:
    ext = (
        ExtensionRequest.objects.select_for_update()
        .filter(case=ctx.case, status=ExtensionStatus.PENDING)
        .first()
    )
    assert ext is not None  # the workflow guard checked it
    ext.decided_by, ext.decided_at, ext.decision_note = actor_or_none(ctx.actor), ctx.now, note
    approved = ctx.action == CaseAction.APPROVE_EXTENSION
    if approved:
        new_due = deadlines.extended(ctx.case.handling_due_at, ext.working_days)
        ext.status, ext.new_due_at = ExtensionStatus.APPROVED, new_due
        ctx.set(handling_due_at=new_due)
        if new_due > ctx.now and ctx.case.is_overdue:
            ctx.set(is_overdue=False)
        Assignment.objects.filter(case=ctx.case, status__in=ACTIVE_ASSIGNMENT_STATUSES).update(
            handling_due_at=new_due
        )
        ctx.data["new_due_at"] = new_due.isoformat()
    else:
        ext.status = ExtensionStatus.REFUSED
    ext.save()
    ctx.note, ctx.unit = note, ext.unit
    ctx.notify_unit(
        ext.unit_id,
        NotificationKind.EXTENSION_DECIDED,
        gettext_noop("工单 %(number)s 的延期申请已批准")
        if approved
        else gettext_noop("工单 %(number)s 的延期申请被驳回"),
        f"ext-decided:{ext.pk}",
        number=ctx.case.number,
    )


@implements(CaseAction.APPROVE_EXTENSION)
def approve_extension(ctx: CaseContext, *, note: str = "") -> None:
    _decide_extension(ctx, note)


@implements(CaseAction.REFUSE_EXTENSION)
def refuse_extension(ctx: CaseContext, *, note: str) -> None:
    _decide_extension(ctx, note)


@implements(CaseAction.REPORT_BACK)
def report_back(ctx: CaseContext, *, feedback: str, photos: list) -> None:
    mine = ctx.assignments({AssignmentStatus.SIGNED})
    for a in mine:
        a.status, a.handled_at, a.feedback = AssignmentStatus.HANDLED, ctx.now, feedback
        a.save(update_fields=["status", "handled_at", "feedback"])
    ctx.unit, ctx.note = mine[0].unit, feedback
    if any(a.role == AssignmentRole.LEAD for a in mine):
        ctx.set(handled_at=ctx.now, resolution_note=feedback)
        c = ctx.case
        text, key = gettext_noop("工单 %(number)s 已处置，待核查"), f"handled:{c.pk}:{c.version}"
        ctx.notify(desk(c.street_id), NotificationKind.HANDLED, text, key, number=c.number)
        if c.grid_id:  # the grid's workers check it on site (核查)
            ctx.notify(grid(c.grid_id), NotificationKind.HANDLED, text, key, number=c.number)
    ctx.attach(photos, PhotoStage.AFTER)
