"""The kernel's action frame (core.frame) bound to the election and objection machines: the
object loaded in the actor's scope (NotFound outside it), what the person wrote kept as the
event's note, the event as the object's trail."""

from typing import Any

from django.utils.translation import gettext as _

from civicgrid.core.frame import Context, Frame, keep_note, scoped_loader

from ..models import Election, Objection
from ..workflow import ELECTIONS, OBJECTIONS


def record(ctx: Context) -> Any:
    return ctx.logged


ELECTION_FRAME = Frame(
    machine=ELECTIONS,
    model=Election,
    load=scoped_loader(Election, _("选举不存在或不在你的管辖范围内")),
    record=record,
    finish=keep_note,
    select_related=("round",),
)

OBJECTION_FRAME = Frame(
    machine=OBJECTIONS,
    model=Objection,
    load=scoped_loader(Objection, _("申诉不存在或不在你的管辖范围内")),
    record=record,
    finish=keep_note,
)
