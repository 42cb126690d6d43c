"""The kernel's action frame (core.frame) bound to the plan machine: it loads the plan in the
actor's scope (NotFound outside it) and stores a step's photos with its event."""

from django.utils.translation import gettext as _

from civicgrid.core.frame import FilesContext, Frame, keep_note, record_with_photos, scoped_loader

from ..models import GovernancePlan
from ..workflow import PLANS

load_plan = scoped_loader(GovernancePlan, _("源头治理方案不存在或不在你的管辖范围内"))

PLAN_FRAME = Frame(
    machine=PLANS,
    model=GovernancePlan,
    load=load_plan,
    record=record_with_photos,
    context_class=FilesContext,
    finish=keep_note,
    select_related=("owner_unit",),
)
