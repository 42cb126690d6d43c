"""The visit machine (走访): a planned visit is recorded (done) or cancelled; a done visit may
open a case (由走访立工单) once. The parameters declared here are the phone form's fields, the
API's request bodies and the validation, all at once."""

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.cases import checkin
from civicgrid.cases.workflow import open_case_params
from civicgrid.core.attachments import clean_image
from civicgrid.core.params import Kind, Param
from civicgrid.core.workflow import Guard, Machine, Transition, machines

from .choices import VisitAction, VisitMethod, VisitStatus


class VisitPhoto(models.TextChoices):
    """The stage of a visit's attachments (core.attachments)."""

    VISIT = "visit", _("走访照片")


def _no_case_yet(visit: Any, user: Any, params: Mapping[str, Any] | None) -> bool:
    return visit.case_id is None


# The GPS check-in is the cases' own declaration (checkin_lon, checkin_lat, checkin_accuracy):
# the same hidden inputs, the same script on the phone, the same half-a-position guard.
RECORD_PARAMS = (
    Param("method", _("走访方式"), Kind.CHOICE, choices=VisitMethod, default=VisitMethod.DOOR),
    Param(
        "found",
        _("走访情况"),
        Kind.LONGTEXT,
        required=True,
        required_message="请填写走访情况",
        max_length=2000,
        textarea_rows=3,
    ),
    Param("needs_follow_up", _("需要跟进"), Kind.BOOL, default=False),
    Param("follow_up", _("后续跟进"), Kind.LONGTEXT, max_length=2000),
    Param("photos", _("走访照片"), Kind.FILES, cleaner=clean_image),
    *checkin.PARAMS,
)

TRANSITIONS = [
    Transition(
        VisitAction.RECORD,
        frozenset({VisitStatus.PLANNED}),
        VisitStatus.DONE,
        "residents.visit",
        guards=checkin.GUARDS,
        params=RECORD_PARAMS,
        primary=True,
    ),
    Transition(
        VisitAction.CANCEL,
        frozenset({VisitStatus.PLANNED}),
        VisitStatus.CANCELLED,
        "residents.visit",
        params=(
            Param("reason", _("取消原因"), Kind.LONGTEXT, required=True, required_message="请填写取消原因"),
        ),
        danger=True,
    ),
    Transition(
        VisitAction.OPEN_CASE,
        frozenset({VisitStatus.DONE}),
        None,
        "residents.visit",
        guards=(Guard(_no_case_yet, _("该走访已立过工单")),),
        params=open_case_params(lambda visit, user: visit.follow_up or visit.found),
    ),
]

MACHINE = machines.add(
    Machine(
        name="residents.visits",
        statuses=VisitStatus,
        actions=VisitAction,
        transitions=TRANSITIONS,
        noun="走访",
    )
)
