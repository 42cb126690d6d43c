"""The kernel's action frame (core.frame) bound to the community machines: each object loaded
in the actor's scope (NotFound outside it), what the person wrote kept as the event's note, a
上门办's photos stored with its event, the event as the object's trail."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.frame import FilesContext, Frame, keep_note, record_with_photos, scoped_loader
from civicgrid.core.workflow import Machine

from ..models import Activity, Appointment, HomeService, Newsletter, Volunteer
from ..workflow import (
    ACTIVITY_MACHINE,
    APPOINTMENT_MACHINE,
    HOME_SERVICE_MACHINE,
    NEWSLETTER_MACHINE,
    VOLUNTEER_MACHINE,
)


def _frame(machine: Machine, model: type[models.Model], missing: Any, **options: Any) -> Frame:
    return Frame(
        machine=machine,
        model=model,
        load=scoped_loader(model, str(missing)),
        context_class=FilesContext,
        record=record_with_photos,
        finish=keep_note,
        **options,
    )


ACTIVITY_FRAME = _frame(
    ACTIVITY_MACHINE, Activity, _("活动不存在或不在你的管辖范围内"), select_related=("venue",)
)
VOLUNTEER_FRAME = _frame(VOLUNTEER_MACHINE, Volunteer, _("志愿者不存在或不在你的管辖范围内"))
APPOINTMENT_FRAME = _frame(
    APPOINTMENT_MACHINE, Appointment, _("预约不存在或不在你的管辖范围内"), select_related=("item",)
)
HOME_SERVICE_FRAME = _frame(
    HOME_SERVICE_MACHINE, HomeService, _("上门办申请不存在或不在你的管辖范围内"), select_related=("item",)
)
NEWSLETTER_FRAME = _frame(NEWSLETTER_MACHINE, Newsletter, _("社区报不存在或不在你的管辖范围内"))
