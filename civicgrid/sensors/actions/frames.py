"""The kernel's action frame (core.frame) bound to the alert machine."""

from django.utils.translation import gettext_lazy as _

from civicgrid.core.frame import Context, Frame, keep_note, scoped_loader

from ..models import Alert
from ..workflow import ALERT_MACHINE


def _record(ctx: Context) -> object:
    return ctx.logged


ALERT_FRAME = Frame(
    machine=ALERT_MACHINE,
    model=Alert,
    load=scoped_loader(Alert, str(_("报警不存在或不在你的管辖范围内"))),
    record=_record,
    finish=keep_note,
    select_related=("device", "device__type"),
)
