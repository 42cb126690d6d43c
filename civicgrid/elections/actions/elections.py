"""The bodies of the election machine's plain steps (workflow.ELECTIONS): each completes its
dated milestone; SCHEDULE plans the dates through the timeline's checks; DEFER and RESUME
(暂缓选举, seed 001). The count's body is in `ballots.py`."""

from datetime import date

from django.utils.translation import gettext as _

from civicgrid.core.errors import InvalidInput
from civicgrid.core.frame import Context

from .. import schedule
from ..choices import STEP_OF_ACTION, ElectionAction, Step
from ..models import Election, Milestone
from .frames import ELECTION_FRAME

__all__ = ["ELECTION_FRAME", "complete_step", "milestone_dates"]


def milestone_dates(election: Election) -> dict[str, date | None]:
    """Each step's date as the timeline stands: done, else planned."""
    dates: dict[str, date | None] = dict.fromkeys(Step)
    for row in election.milestones.all():
        dates[row.step] = row.done_on or row.planned_on
    dates[Step.ELECTION_DAY] = dates[Step.ELECTION_DAY] or election.election_day
    return dates


def complete_step(ctx: Context) -> None:
    """Mark the milestone of the context's action done today (the action's own day)."""
    step = STEP_OF_ACTION.get(ctx.action)
    if step is None:
        return
    election: Election = ctx.obj
    row, _created = Milestone.objects.get_or_create(
        election=election, step=step, defaults={"street_id": election.street_id}
    )
    row.done_on = ctx.now.date() if step != Step.ELECTION_DAY else election.election_day
    row.save(update_fields=["done_on", "updated_at"])
    ctx.payload["step"] = step


def _register_step(action: str) -> None:
    @ELECTION_FRAME.implements(action)
    def body(ctx: Context, note: str = "") -> None:
        ctx.note = note
        complete_step(ctx)


for _action in (
    ElectionAction.FORM_COMMITTEE,
    ElectionAction.DIVIDE_GROUPS,
    ElectionAction.OPEN_REGISTRATION,
    ElectionAction.CLOSE_REGISTRATION,
    ElectionAction.PUBLISH_LIST,
    ElectionAction.ANNOUNCE_CANDIDATES,
    ElectionAction.ANNOUNCE_RESULTS,
    ElectionAction.REPORT,
):
    _register_step(_action)


@ELECTION_FRAME.implements(ElectionAction.SCHEDULE)
def set_schedule(ctx: Context, note: str = "", **dates: date | None) -> None:
    """Plan the steps' dates: a done step keeps its date, the whole timeline must pass
    `schedule.check` with the round's rules; moving election day moves `Election.election_day`."""
    election: Election = ctx.obj
    wanted = {step: when for step, when in dates.items() if when is not None}
    if not wanted:
        raise InvalidInput(_("请至少填写一个日期"), {Step.ELECTION_DAY: "required"})
    rows = {row.step: row for row in election.milestones.all()}
    for step, when in wanted.items():
        row = rows.get(step)
        if row is not None and row.done_on is not None and row.done_on != when:
            raise InvalidInput(
                _("“%(step)s”已于 %(done)s 完成，日期不能再改")
                % {"step": Step(step).label, "done": row.done_on},
                {step: "done"},
            )
    merged = milestone_dates(election) | wanted
    schedule.check(merged, election.round.rules())
    for step, when in wanted.items():
        row = rows.get(step) or Milestone(election=election, step=step, street_id=election.street_id)
        row.planned_on = when
        row.save()
    if Step.ELECTION_DAY in wanted:
        ctx.set(election_day=wanted[Step.ELECTION_DAY])
    ctx.note = note
    ctx.payload["planned"] = {step: when.isoformat() for step, when in wanted.items()}


@ELECTION_FRAME.implements(ElectionAction.DEFER)
def defer(ctx: Context, note: str = "") -> None:
    ctx.set(deferred_from=ctx.from_status)
    ctx.note = note


@ELECTION_FRAME.implements(ElectionAction.RESUME)
def resume(ctx: Context, note: str = "") -> None:
    ctx.set(deferred_from="")
    ctx.note = note
