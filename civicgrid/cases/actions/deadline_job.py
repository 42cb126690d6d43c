"""The periodic deadline job: system transitions through the frame (core.frame.run_system),
so each mark bumps the version and writes its timeline row like every other write, and the
table decides whether it applies (the job is idempotent, safe to run as often as you like).
Before the handling deadline it reminds the units (`remind_due_soon`): a notice, no
transition, once per case and deadline by its key."""

from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_noop

from civicgrid.core import clock, profile
from civicgrid.core.models import Notification

from ..choices import ACTIVE_ASSIGNMENT_STATUSES, OPEN_STATUSES, CaseAction, NotificationKind, SupervisionKind
from ..models import Assignment, Case, Supervision
from ..notifications import desk, send, units
from ..workflow import response_overdue_key
from .frame import FRAME, CaseContext


def _supervise(ctx: CaseContext, kind: str, key: str, note: str, **params: str) -> Supervision:
    """`note` is a message id: the timeline row shows it in the reader's language; the
    supervision record keeps it filled in (in Chinese, the site's language: it has no params)."""
    case = ctx.case
    record, _created = Supervision.objects.get_or_create(
        key=key,
        defaults={
            "case": case,
            "kind": kind,
            "at": ctx.now,
            "unit": case.lead_unit,
            "note": note % params if params else note,
            "street_id": case.street_id,
        },
    )
    ctx.note, ctx.note_params, ctx.data["supervision"] = note, params, record.pk
    return record


def _mark_overdue(ctx: CaseContext) -> None:
    """Flag the case overdue, open a supervision record and notify its units, once per deadline."""
    case = ctx.case
    key = f"overdue:{case.pk}:{case.handling_due_at.isoformat()}"
    due = f"{timezone.localtime(case.handling_due_at):%Y-%m-%d %H:%M}"
    _supervise(ctx, SupervisionKind.OVERDUE, key, gettext_noop("已超过处置时限 %(due)s"), due=due)
    ctx.set(is_overdue=True, overdue_at=ctx.now)
    unit_ids = list(
        Assignment.objects.filter(case=case, status__in=ACTIVE_ASSIGNMENT_STATUSES).values_list(
            "unit_id", flat=True
        )
    )
    text = gettext_noop("工单 %(number)s 已超期，请尽快办理")
    ctx.notify(units(unit_ids), NotificationKind.OVERDUE, text, key, number=case.number)
    ctx.notify(desk(case.street_id), NotificationKind.OVERDUE, text, key, number=case.number)


def _mark_response_overdue(ctx: CaseContext) -> None:
    _supervise(
        ctx,
        SupervisionKind.RESPONSE_OVERDUE,
        response_overdue_key(ctx.case),
        gettext_noop("超过响应时限仍未签收或联系诉求人"),
    )
    ctx.data["kind"] = SupervisionKind.RESPONSE_OVERDUE


def mark_overdue(case_id: int, now: datetime) -> bool:
    with clock.at(now):
        return FRAME.run_system(case_id, CaseAction.OVERDUE, _mark_overdue)


def mark_response_overdue(case_id: int, now: datetime) -> bool:
    with clock.at(now):
        return FRAME.run_system(case_id, CaseAction.RESPONSE_OVERDUE, _mark_response_overdue)


def check_deadlines(now: datetime | None = None) -> dict[str, int]:
    """The periodic job: idempotent, safe to run as often as you like."""
    now = now or clock.now()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    overdue_ids = list(
        open_cases.filter(is_overdue=False, handling_due_at__lt=now).values_list("pk", flat=True)
    )
    response_ids = list(
        open_cases.filter(responded_at__isnull=True, response_due_at__lt=now)
        .exclude(supervisions__kind=SupervisionKind.RESPONSE_OVERDUE)
        .values_list("pk", flat=True)
    )
    marked = sum(mark_overdue(pk, now) for pk in overdue_ids)
    response = sum(mark_response_overdue(pk, now) for pk in response_ids)
    return {"overdue": marked, "response_overdue": response, "due_soon": remind_due_soon(now)}


def due_soon_key(case: Case) -> str:
    return f"due-soon:{case.pk}:{case.handling_due_at:%Y%m%d%H%M}"


def remind_due_soon(now: datetime) -> int:
    """Remind the active units of each open case whose handling deadline is within its street's
    `cases.reminder_hours` and not yet passed; once per case and deadline (an extension
    brings a new reminder). Returns how many cases were reminded."""
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES, is_overdue=False, handling_due_at__gt=now)
    due: list[Case] = []
    # order_by(): the model's ordering would join the DISTINCT (one row per case, not per street).
    for street_id in open_cases.order_by().values_list("street_id", flat=True).distinct():
        hours = profile.value("cases.reminder_hours", street_id)
        if hours:
            window = open_cases.filter(street_id=street_id, handling_due_at__lte=now + timedelta(hours=hours))
            due.extend(window.only("pk", "number", "street_id", "handling_due_at"))
    if not due:
        return 0
    told = {
        key.rsplit(":", 1)[0]
        for key in Notification.objects.filter(
            content_type=ContentType.objects.get_for_model(Case),
            object_id__in=[c.pk for c in due],
            kind=NotificationKind.DUE_SOON,
        ).values_list("key", flat=True)
    }
    pending = [c for c in due if due_soon_key(c) not in told]
    # The active units of every pending case, in one query.
    units_of: dict[int, list[int]] = {c.pk: [] for c in pending}
    for case_id, unit_id in Assignment.objects.filter(
        case_id__in=list(units_of), status__in=ACTIVE_ASSIGNMENT_STATUSES
    ).values_list("case_id", "unit_id"):
        units_of[case_id].append(unit_id)
    reminded = 0
    for case in pending:
        key, unit_ids = due_soon_key(case), units_of[case.pk]
        deadline = f"{timezone.localtime(case.handling_due_at):%Y-%m-%d %H:%M}"
        text = gettext_noop("工单 %(number)s 将于 %(deadline)s 到期，请抓紧办理")
        params = {"number": case.number, "deadline": deadline}
        with clock.at(now):
            sent = send(units(unit_ids), case.pk, NotificationKind.DUE_SOON, text, key, params=params)
        reminded += sent > 0
    return reminded
