"""The desk's steps (城运中心): file or reject, close, call back, reopen, merge, suspend and resume;
revoke a resident's tracking link and mark photos public."""

from typing import Any

from django.db.models import F
from django.utils.translation import gettext_noop

from .. import deadlines
from ..choices import ACTIVE_ASSIGNMENT_STATUSES, AssignmentStatus, CaseAction, CaseStatus
from ..models import Assignment, Callback, Case, Photo
from ..workflow import handler_result
from .common import actor_or_none
from .frame import CaseContext, implements, record_event


@implements(CaseAction.FILE)
def file_case(
    ctx: CaseContext, *, category: Any = None, request_type: str = "", urgency: str = "", note: str = ""
) -> None:
    c = ctx.case
    if category and category.pk != c.category_id:
        ctx.set(category=category)
    if request_type and request_type != c.request_type:
        ctx.set(request_type=request_type)
    if urgency and urgency != c.urgency:
        ctx.set(urgency=urgency)
    if ctx.changed:
        due = deadlines.compute(c.received_at, c.request_type, c.category, c.urgency, c.street_id)
        ctx.data["reclassified"] = sorted(ctx.changed)
        ctx.set(response_due_at=due.response_due_at, handling_due_at=due.handling_due_at)
    ctx.note = note


@implements(CaseAction.REJECT)
def reject_case(ctx: CaseContext, *, reason: str) -> None:
    # The reporter is told why (redacted on the public page).
    ctx.set(closed_at=ctx.now, resolution_note=reason, public_result=reason)
    ctx.note = reason


@implements(CaseAction.CLOSE)
def close_case(ctx: CaseContext, *, public_result: str = "", note: str = "") -> None:
    # What residents read: the handler's report as the desk approved (or edited) it.
    public_result = public_result or handler_result(ctx.case)
    ctx.respond()
    ctx.set(
        closed_at=ctx.now,
        callback_due_at=deadlines.callback_due(ctx.now, ctx.case.street_id),
        public_result=public_result,
    )
    if note:
        ctx.set(resolution_note=note)
    ctx.note = note
    followers = list(Case.objects.select_for_update().filter(master=ctx.case, status=CaseStatus.MERGED))
    for child in followers:
        # Merged cases share the master's result (一件多单).
        Case.objects.filter(pk=child.pk).update(
            status=CaseStatus.CLOSED,
            closed_at=ctx.now,
            callback_due_at=ctx.case.callback_due_at,
            resolution_note=ctx.case.resolution_note,
            public_result=public_result,
            responded_at=child.responded_at or ctx.now,
            version=F("version") + 1,
            updated_at=ctx.now,
        )
        child.version += 1  # its event names the version the UPDATE wrote
        record_event(
            child,
            CaseAction.CLOSE,
            ctx.actor,
            CaseStatus.MERGED,
            CaseStatus.CLOSED,
            note=gettext_noop("随主单 %(number)s 结案"),
            note_params={"number": ctx.case.number},
            at=ctx.now,
        )
    ctx.data["followers"] = [c.number for c in followers]


@implements(CaseAction.CALLBACK)
def record_callback(
    ctx: CaseContext, *, contacted: bool = True, resolution: str = "", satisfaction: str = "", note: str = ""
) -> None:
    Callback.objects.create(
        case=ctx.case,
        at=ctx.now,
        by=actor_or_none(ctx.actor),
        contacted=contacted,
        resolution=resolution if contacted else "",
        satisfaction=satisfaction if contacted else "",
        note=note,
        street_id=ctx.case.street_id,
    )
    ctx.set(called_back_at=ctx.now)
    ctx.note = note
    ctx.data.update(contacted=contacted, resolution=resolution or "", satisfaction=satisfaction or "")


@implements(CaseAction.REVOKE_LINK)
def revoke_link(ctx: CaseContext, *, note: str = "") -> None:
    # Every link signed with the old version now reads as revoked; resident_link() signs the new one.
    ctx.set(link_version=ctx.case.link_version + 1)
    ctx.note = note


@implements(CaseAction.PUBLISH_PHOTO)
def publish_photo(ctx: CaseContext, *, photo: Photo, public: bool = False) -> None:
    # Attachment has no audit of its own: the timeline row is the record of who published what.
    Photo.objects.filter(pk=photo.pk).update(public=public)
    ctx.data.update(photo=photo.pk, public=public)


@implements(CaseAction.REOPEN)
def reopen_case(ctx: CaseContext, *, reason: str) -> None:
    # A reopened matter gets the re-check limit (回访复核) from now.
    due = deadlines.callback_due(ctx.now, ctx.case.street_id)
    ctx.set(
        closed_at=None,
        verified_at=None,
        handled_at=None,
        handling_due_at=due,
        is_overdue=False,
        overdue_at=None,
    )
    ctx.note = reason


@implements(CaseAction.MERGE)
def merge_case(ctx: CaseContext, *, master: Case, note: str = "") -> None:
    c = ctx.case
    Assignment.objects.filter(case=c, status__in=ACTIVE_ASSIGNMENT_STATUSES).update(
        status=AssignmentStatus.CANCELLED
    )
    Case.objects.filter(master=c).update(master=master)  # its own followers follow the new master
    # The master's timeline gains a row: its version moves too (its ETag, a stale form).
    Case.objects.filter(pk=master.pk).update(version=F("version") + 1, updated_at=ctx.now)
    master.version += 1  # the master's event records the version after this write
    ctx.set(master=master)
    ctx.note, ctx.data["master"] = note, master.number
    record_event(
        master,
        CaseAction.COMMENT,
        ctx.actor,
        master.status,
        master.status,
        note=gettext_noop("合并了工单 %(number)s"),
        note_params={"number": c.number},
        data={"merged": c.number},
        at=ctx.now,
    )


@implements(CaseAction.SUSPEND)
def suspend_case(ctx: CaseContext, *, reason: str) -> None:
    ctx.set(status_before_suspend=ctx.from_status)
    ctx.note = reason


@implements(CaseAction.RESUME)
def resume_case(ctx: CaseContext, *, note: str = "") -> None:
    ctx.set(status_before_suspend="")
    ctx.note = note
