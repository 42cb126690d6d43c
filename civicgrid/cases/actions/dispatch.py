"""Dispatching (派遣) and redispatching (改派): the same step, from different states."""

from django.utils.translation import gettext_noop

from civicgrid.core.errors import InvalidInput
from civicgrid.orgs.models import Unit

from ..choices import (
    ACTIVE_ASSIGNMENT_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    CaseAction,
    NotificationKind,
)
from ..models import Assignment
from .common import actor_or_none
from .frame import CaseContext, implements


def _dispatch(
    ctx: CaseContext, *, lead_unit: Unit | None = None, co_units: list[Unit] | None = None, note: str = ""
) -> None:
    from ..routing import route

    c = ctx.case
    proposal = route(c.category, [c.grid, c.residential_area, c.street])
    lead = lead_unit or c.lead_unit or (proposal.lead_unit if proposal else None)
    co: list[Unit] = list(co_units or [])
    if co_units is None and proposal is not None and proposal.lead_unit == lead:
        # Dispatching to the routed lead unit whistles its co-handlers too (吹哨报到),
        # unless the dispatcher chose the co-handlers (an empty list means none).
        co = proposal.co_units
    if lead is None:
        raise InvalidInput("职责表中没有匹配的单位，请选择主办单位", {"lead_unit": "required"})
    co = [u for u in co if u.pk != lead.pk]
    cancelled = Assignment.objects.filter(case=c, status__in=ACTIVE_ASSIGNMENT_STATUSES).update(
        status=AssignmentStatus.CANCELLED
    )
    created = [
        Assignment.objects.create(
            case=c,
            unit=unit,
            role=role,
            dispatched_at=ctx.now,
            dispatched_by=actor_or_none(ctx.actor),
            handling_due_at=c.handling_due_at,
            street_id=c.street_id,
        )
        for unit, role in [(lead, AssignmentRole.LEAD), *((u, AssignmentRole.CO) for u in co)]
    ]
    ctx.set(lead_unit=lead)
    ctx.note = note
    ctx.data.update(lead_unit=lead.name, co_units=[u.name for u in co], cancelled=cancelled)
    for assignment in created:
        ctx.notify_unit(
            assignment.unit_id,
            NotificationKind.DISPATCHED,
            gettext_noop("新派单 %(number)s（%(role)s）：%(title)s"),
            f"dispatch:{assignment.pk}",
            number=c.number,
            role=assignment.role,  # shown by its label (cases.apps)
            title=c.title,
        )


dispatch_case = implements(CaseAction.DISPATCH)(_dispatch)
redispatch_case = implements(CaseAction.REDISPATCH)(_dispatch)
