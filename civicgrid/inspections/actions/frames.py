"""The kernel's action frame (core.frame) bound to the three machines of inspections. Each
frame loads its object in the actor's scope (NotFound outside it), and its record stores the
action's photos with the action's event (core.frame.FilesContext)."""

from typing import Any

from django.utils.translation import gettext as _

from civicgrid.core.choices import Action
from civicgrid.core.errors import NotFound
from civicgrid.core.frame import FilesContext, Frame
from civicgrid.core.inputs import as_id

from ..models import Order, RentEntry, Task
from ..workflow import ORDERS, RENTING_MACHINE, TASKS


def _loader(model: type[Any], missing: str, key: str = "pk") -> Any:
    def load(ref: Any, actor: Any) -> Any:
        if isinstance(ref, model):
            value: Any = ref.pk
            field = "pk"
        else:
            field = key
            value = str(ref).strip() if key != "pk" else as_id(str(ref))
        found = (
            model.objects.restrict(actor, Action.VIEW)
            .filter(**{field: value})
            .values_list("pk", flat=True)
            .first()
            if value not in (None, "")
            else None
        )
        if found is None:
            raise NotFound(missing)
        return model.objects.get(pk=found)

    return load


load_task = _loader(Task, _("检查任务不存在或不在你的管辖范围内"))
# An order is found by its number (the URL and the API) or its id.
_load_order_by_number = _loader(Order, _("整改通知不存在或不在你的管辖范围内"), key="number")
_load_order_by_id = _loader(Order, _("整改通知不存在或不在你的管辖范围内"))
load_rent_entry = _loader(RentEntry, _("群租登记不存在或不在你的管辖范围内"))


def load_order(ref: Any, actor: Any) -> Order:
    if isinstance(ref, Order | int) or str(ref).isdigit():
        return _load_order_by_id(ref, actor)
    return _load_order_by_number(ref, actor)


def _keep_note(ctx: Any) -> None:
    # What the person wrote with the action (a reason, a finding) is the event's `note`: the
    # object's timeline reads it there.
    if ctx.note:
        ctx.payload["note"] = ctx.note


def _record(ctx: FilesContext) -> Any:
    ctx.store_photos()
    return ctx.logged


TASK_FRAME = Frame(
    machine=TASKS, model=Task, load=load_task, record=_record, context_class=FilesContext, finish=_keep_note
)
ORDER_FRAME = Frame(
    machine=ORDERS,
    model=Order,
    load=load_order,
    record=_record,
    context_class=FilesContext,
    finish=_keep_note,
    select_related=("place",),
)
RENT_FRAME = Frame(
    machine=RENTING_MACHINE,
    model=RentEntry,
    load=load_rent_entry,
    record=_record,
    context_class=FilesContext,
    finish=_keep_note,
    select_related=("place", "flat__building"),
)
