"""The cases' action frame: the kernel's frame (core.frame) bound to `Case` and its machine.

What it adds for cases: loading a case by id or number inside the actor's scope, the timeline
row (`CaseEvent`, the cases' view of the frame's `core.Event`, which names the API token of an
API write), the notices an action sends (in the event, for the notifications consumer), the
photos an action stores with its timeline row, and the unit an action was taken for.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_noop

from civicgrid.core import clock, events
from civicgrid.core.audit import current_api_token
from civicgrid.core.errors import NotFound
from civicgrid.core.frame import Context, Frame
from civicgrid.core.inputs import as_id
from civicgrid.core.models import Event
from civicgrid.core.querysets import user_scope
from civicgrid.orgs.models import Unit

from .. import notifications
from ..choices import CaseAction, CaseStatus, NotificationKind, PhotoStage
from ..messages import RESULT_STATUSES
from ..models import Assignment, Case, CaseEvent
from ..notifications import Audience, units
from ..public import PUBLIC_STATUS, PUBLIC_STEPS
from ..workflow import MACHINE
from .common import StoredFiles, actor_label, actor_or_none, save_photos


def record_event(
    case: Case,
    action: str,
    actor: Any,
    from_status: str,
    to_status: str,
    *,
    note: str = "",
    note_params: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    unit: Unit | None = None,
    at: datetime | None = None,
    logged: Event | None = None,
    payload: dict[str, Any] | None = None,
) -> CaseEvent:
    """One timeline row and its domain event (`logged`, when the frame has written it already;
    else logged here, at the case's current version), in the caller's transaction. A note the
    system writes is a message id (gettext_noop) with `note_params`, shown in each reader's
    language (CaseEvent.note_text). `payload`: the event's, when it is logged here (the
    notices of create_case)."""
    data = dict(data or {})
    if note_params is not None:
        data["note_params"] = note_params
    token = current_api_token()
    if token is not None:
        # The case's audit trail is its timeline: an API write names the token it came with.
        data["api_token"] = {"id": token[0], "label": token[1]}
    at = at or clock.now()
    if logged is None:
        logged = events.log(case, action, actor, at=at, payload=payload)
    return CaseEvent.objects.create(
        case=case,
        event=logged,
        at=at,
        actor=actor_or_none(actor),
        actor_label=actor_label(actor),
        unit=unit,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data,
        street_id=case.street_id,
    )


@dataclass
class CaseContext(Context):
    unit: Unit | None = None
    # Cleaned photos to store with this action's timeline row, inside its transaction.
    photos: list[Any] = field(default_factory=list)
    photo_stage: str = PhotoStage.AFTER
    stored: StoredFiles = field(default_factory=StoredFiles)
    # Set when `note` is a message id the system wrote (record_event's note_params).
    note_params: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.on_rollback.append(self.stored.cleanup)  # photo files must not outlive a rollback

    @property
    def case(self) -> Case:
        return self.obj

    def attach(self, cleaned: list[Any], stage: str) -> None:
        self.photos, self.photo_stage = cleaned, stage
        if cleaned:
            self.data["photos"] = len(cleaned)

    def assignments(self, statuses: set[str]) -> list[Assignment]:
        """The case's assignments to the actor's units in `statuses`, locked."""
        scope = user_scope(self.actor)
        unit_ids = scope.unit_ids if scope else frozenset()
        return list(
            Assignment.objects.select_for_update()
            .filter(case=self.case, unit_id__in=unit_ids, status__in=statuses)
            .select_related("unit")
        )

    def respond(self) -> None:
        """The first response (for 响应率): a unit signed, the desk contacted the requester, or it closed."""
        if self.case.responded_at is None:
            self.set(responded_at=self.now)

    def notify(self, audience: Audience, kind: str, text: str, key: str, **params: Any) -> None:
        """A notice to send once the action has committed: it travels in the domain event
        (payload "notify", plain data) and the notifications consumer writes the inbox rows
        and logs its messages. `text` is a message id (gettext_noop) with %(name)s placeholders
        filled from `params` in each reader's language; `note`, `step` and `status` among them
        also fill the messages' templates (notifications.send)."""
        self.payload.setdefault("notify", []).append(notifications.intent(audience, kind, text, key, params))

    def notify_unit(self, unit_id: int | None, kind: str, text: str, key: str, **params: Any) -> None:
        self.notify(units([unit_id]), kind, text, key, **params)


def tell_reporter(ctx: CaseContext) -> None:
    """Every action's last step (the frame's `finish`): a change of the case's public status
    is told to its reporter in public wording — the result once it is closed or rejected."""
    case = ctx.case
    before, after = PUBLIC_STATUS.get(ctx.from_status), PUBLIC_STATUS[case.status]
    if before == after or ctx.action not in PUBLIC_STEPS or not notifications.tells_reporter(case):
        return
    kind = NotificationKind.CASE_RESULT if case.status in RESULT_STATUSES else NotificationKind.CASE_UPDATE
    text = gettext_noop("您反映的问题 %(number)s：%(step)s")
    key = f"reporter:{case.pk}:v{case.version + 1}"
    ctx.notify(
        notifications.reporter(), kind, text, key, number=case.number, step=ctx.action, status=str(after)
    )


def received_notices(case: Case) -> list[dict[str, Any]]:
    """The notices of a new case's CREATE event (create_case): its reporter is told it is
    registered (已受理), with the personal tracking link the later messages carry too."""
    if not notifications.tells_reporter(case):
        return []
    text = gettext_noop("您反映的问题 %(number)s 已受理")
    # The public step and status of the registration, even if the case has moved on (the
    # desk's 立案并派遣) by the time the message is written.
    params = {
        "number": case.number,
        "step": str(CaseAction.CREATE),
        "status": str(PUBLIC_STATUS[CaseStatus.NEW]),
    }
    key = f"reporter:{case.pk}:received"
    return [notifications.intent(notifications.reporter(), NotificationKind.CASE_RECEIVED, text, key, params)]


def _record(ctx: CaseContext) -> CaseEvent:
    event = record_event(
        ctx.case,
        ctx.action,
        ctx.actor,
        ctx.from_status,
        ctx.case.status,
        note=ctx.note,
        note_params=ctx.note_params,
        data=ctx.data,
        unit=ctx.unit,
        at=ctx.now,
        logged=ctx.logged,
    )
    save_photos(ctx.case, event, ctx.photos, ctx.photo_stage, ctx.actor, ctx.stored)
    return event


def load_case(ref: Any, actor: Any) -> Case:
    """The case by id, number or instance, if the actor may see it; NotFound otherwise."""
    qs = Case.objects.restrict(actor, "view")
    pk = ref.pk if isinstance(ref, Case) else ref
    # Case numbers look like "310115005-2026-000123": a string that is no id (core.inputs) is one.
    if isinstance(pk, str):
        key = as_id(pk)
        qs = qs.filter(number=pk) if key is None else qs.filter(pk=key)
    else:
        qs = qs.filter(pk=pk)
    found = qs.values_list("pk", flat=True).first()
    if found is None:
        raise NotFound("工单不存在或不在你的管辖范围内")
    return Case.objects.get(pk=found)


FRAME = Frame(
    machine=MACHINE,
    model=Case,
    load=load_case,
    record=_record,
    context_class=CaseContext,
    select_related=("category", "street"),
    finish=tell_reporter,
)
implements = FRAME.implements
run_action = FRAME.run
