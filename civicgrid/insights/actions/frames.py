"""The kernel's action frame (core.frame) bound to the plan machine: it loads the plan in the
actor's scope (NotFound outside it) and stores a step's photos with its event."""

from typing import Any

from django.utils.translation import gettext as _

from civicgrid.core.choices import Action
from civicgrid.core.errors import NotFound
from civicgrid.core.frame import FilesContext, Frame
from civicgrid.core.inputs import as_id

from ..models import GovernancePlan
from ..workflow import PLANS


def load_plan(ref: Any, actor: Any) -> GovernancePlan:
    pk = ref.pk if isinstance(ref, GovernancePlan) else as_id(str(ref))
    found = (
        GovernancePlan.objects.restrict(actor, Action.VIEW).filter(pk=pk).values_list("pk", flat=True).first()
        if pk is not None
        else None
    )
    if found is None:
        raise NotFound(_("源头治理方案不存在或不在你的管辖范围内"))
    return GovernancePlan.objects.get(pk=found)


def _keep_note(ctx: Any) -> None:
    # The timeline of the plan page reads what was written with each step from the event.
    if ctx.note:
        ctx.payload["note"] = ctx.note


def _record(ctx: FilesContext) -> Any:
    ctx.store_photos()
    return ctx.logged


PLAN_FRAME = Frame(
    machine=PLANS,
    model=GovernancePlan,
    load=load_plan,
    record=_record,
    context_class=FilesContext,
    finish=_keep_note,
    select_related=("owner_unit",),
)
