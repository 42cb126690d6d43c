"""Steps beside the loop: supervision (督办), escalation (升级) and comments."""

from django.utils.translation import gettext_noop

from ..choices import CaseAction, NotificationKind, SupervisionKind
from ..models import Supervision
from ..workflow import LADDERS, next_step
from .common import actor_or_none
from .frame import CaseContext, implements


@implements(CaseAction.SUPERVISE)
def supervise_case(ctx: CaseContext, *, note: str) -> None:
    c = ctx.case
    record = Supervision.objects.create(
        case=c,
        kind=SupervisionKind.LEADER,
        at=ctx.now,
        by=actor_or_none(ctx.actor),
        unit=c.lead_unit,
        note=note,
        street_id=c.street_id,
    )
    ctx.note = note
    if c.lead_unit_id:
        ctx.notify_unit(
            c.lead_unit_id,
            NotificationKind.SUPERVISION,
            gettext_noop("工单 %(number)s 被督办：%(note)s"),
            f"supervise:{record.pk}",
            number=c.number,
            note=note,
        )


@implements(CaseAction.ESCALATE)
def escalate_case(ctx: CaseContext, *, ladder: str, note: str = "") -> None:
    field_name, _steps = LADDERS[ladder]
    current = getattr(ctx.case, field_name)
    ctx.set(**{field_name: next_step(ctx.case, ladder)})
    ctx.note = note
    ctx.data.update(ladder=ladder, **{"from": current, "to": getattr(ctx.case, field_name)})


@implements(CaseAction.COMMENT)
def comment_case(ctx: CaseContext, *, note: str, contacted_requester: bool = False) -> None:
    if contacted_requester:
        ctx.respond()  # 首次联系诉求人 counts as the response
        ctx.data["contacted_requester"] = True
    ctx.note = note
