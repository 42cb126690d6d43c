"""The kernel's action frame (core.frame) bound to the three machines of inspections. Each
frame loads its object in the actor's scope (NotFound outside it), and its record stores the
action's photos with the action's event (core.frame.FilesContext)."""

from typing import Any

from django.utils.translation import gettext as _

from civicgrid.core.frame import FilesContext, Frame, keep_note, record_with_photos, scoped_loader

from ..models import Order, RentEntry, Task
from ..workflow import ORDERS, RENTING_MACHINE, TASKS

load_task = scoped_loader(Task, _("检查任务不存在或不在你的管辖范围内"))
# An order is found by its number (the URL and the API) or its id.
_load_order_by_number = scoped_loader(Order, _("整改通知不存在或不在你的管辖范围内"), key="number")
_load_order_by_id = scoped_loader(Order, _("整改通知不存在或不在你的管辖范围内"))
load_rent_entry = scoped_loader(RentEntry, _("群租登记不存在或不在你的管辖范围内"))


def load_order(ref: Any, actor: Any) -> Order:
    if isinstance(ref, Order | int) or str(ref).isdigit():
        return _load_order_by_id(ref, actor)
    return _load_order_by_number(ref, actor)


TASK_FRAME = Frame(
    machine=TASKS,
    model=Task,
    load=load_task,
    record=record_with_photos,
    context_class=FilesContext,
    finish=keep_note,
)
ORDER_FRAME = Frame(
    machine=ORDERS,
    model=Order,
    load=load_order,
    record=record_with_photos,
    context_class=FilesContext,
    finish=keep_note,
    select_related=("place",),
)
RENT_FRAME = Frame(
    machine=RENTING_MACHINE,
    model=RentEntry,
    load=load_rent_entry,
    record=record_with_photos,
    context_class=FilesContext,
    finish=keep_note,
    select_related=("place", "flat__building"),
)
