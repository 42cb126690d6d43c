"""The election's machine on the kernel's engine (core.workflow): one transition per
statutory step, each completing its dated milestone (choices.STEP_OF_ACTION); the guards hold
the law's timing (list published in time, candidates contested and announced in time,
objections decided before the vote). The bodies live in `actions/`; the count's are in
`actions/ballots.py` and its target, decided by the count, in `tally.py`."""

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock
from civicgrid.core.params import Kind, Param
from civicgrid.core.workflow import Guard, Machine, Transition, machines

from . import checks
from .choices import ElectionAction, ElectionStatus, ObjectionAction, ObjectionStatus, Step

MANAGE, CONDUCT, REPORT = "elections.manage", "elections.conduct", "elections.report"

S = ElectionStatus
OPEN = frozenset(set(S) - {S.REPORTED, S.DEFERRED})


def note(label: Any, *, required: bool = False) -> Param:
    return Param("note", label, Kind.LONGTEXT, required=required, max_length=2000)


# SCHEDULE's parameters: one date per step (those left empty keep their date).
STEP_DATES = tuple(Param(step.value, step.label, Kind.DATE) for step in Step)


def _after_count(election: Any, user: Any) -> str:
    from .tally import status_after_count

    return status_after_count(election)


def _list_in_time(election: Any, user: Any, params: Any) -> bool:
    days = election.round.rules().list_days_before
    return clock.today() <= election.election_day - timedelta(days=days)


def _candidates_in_time(election: Any, user: Any, params: Any) -> bool:
    days = election.round.rules().candidates_days_before
    return clock.today() <= election.election_day - timedelta(days=days)


def _voting_day_reached(election: Any, user: Any, params: Any) -> bool:
    return clock.today() >= election.election_day


ELECTION_TRANSITIONS = [
    Transition(
        ElectionAction.SCHEDULE,
        OPEN,
        None,
        MANAGE,
        params=(*STEP_DATES, note(_("调整原因"))),
    ),
    Transition(
        ElectionAction.FORM_COMMITTEE,
        frozenset({S.PREPARING}),
        S.COMMITTEE,
        CONDUCT,
        params=(note(_("选举委员会组成及公告情况")),),
        primary=True,
    ),
    Transition(
        ElectionAction.DIVIDE_GROUPS,
        frozenset({S.COMMITTEE}),
        S.GROUPS,
        CONDUCT,
        guards=(Guard(checks.has_groups, checks.NO_GROUPS),),
        params=(note(_("说明")),),
        primary=True,
    ),
    Transition(
        ElectionAction.OPEN_REGISTRATION,
        frozenset({S.GROUPS}),
        S.REGISTERING,
        CONDUCT,
        params=(note(_("说明")),),
        primary=True,
    ),
    Transition(
        ElectionAction.CLOSE_REGISTRATION,
        frozenset({S.REGISTERING}),
        S.REGISTERED,
        CONDUCT,
        guards=(Guard(checks.has_electorate, checks.NO_ELECTORATE),),
        params=(note(_("说明")),),
        primary=True,
    ),
    Transition(
        ElectionAction.PUBLISH_LIST,
        frozenset({S.REGISTERED}),
        S.LISTED,
        CONDUCT,
        guards=(Guard(_list_in_time, checks.list_too_late),),
        params=(note(_("张贴地点")),),
        primary=True,
    ),
    Transition(
        ElectionAction.ANNOUNCE_CANDIDATES,
        frozenset({S.LISTED}),
        S.NOMINATED,
        CONDUCT,
        guards=(
            Guard(checks.objections_decided, checks.objections_pending),
            Guard(checks.contested, checks.not_contested),
            Guard(_candidates_in_time, checks.candidates_too_late),
        ),
        params=(note(_("说明")),),
        primary=True,
    ),
    Transition(
        ElectionAction.COUNT,
        frozenset({S.NOMINATED, S.SECOND_ROUND}),
        _after_count,
        CONDUCT,
        guards=(
            Guard(_voting_day_reached, checks.before_voting_day),
            Guard(checks.has_boxes, checks.NO_BOXES),
        ),
        params=(note(_("计票说明")),),
        primary=True,
    ),
    Transition(
        ElectionAction.ANNOUNCE_RESULTS,
        frozenset({S.COUNTED}),
        S.ANNOUNCED,
        CONDUCT,
        params=(note(_("公告情况")),),
        primary=True,
    ),
    Transition(
        ElectionAction.REPORT,
        frozenset({S.ANNOUNCED}),
        S.REPORTED,
        REPORT,
        params=(note(_("报备说明")),),
        primary=True,
    ),
    Transition(
        ElectionAction.DEFER,
        frozenset(OPEN - {S.COUNTED, S.ANNOUNCED}),
        S.DEFERRED,
        MANAGE,
        params=(note(_("暂缓理由（如列入旧区改造、拟撤并）"), required=True),),
        danger=True,
    ),
    Transition(
        ElectionAction.RESUME,
        frozenset({S.DEFERRED}),
        lambda election, user: election.deferred_from or S.PREPARING,
        MANAGE,
        params=(note(_("恢复理由"), required=True),),
    ),
]

ELECTIONS = machines.add(
    Machine(
        name="elections.elections",
        statuses=ElectionStatus,
        actions=ElectionAction,
        transitions=ELECTION_TRANSITIONS,
        noun="居委会选举",
    )
)


OBJECTION_TRANSITIONS = [
    Transition(
        ObjectionAction.UPHOLD,
        frozenset({ObjectionStatus.PENDING}),
        ObjectionStatus.UPHELD,
        CONDUCT,
        params=(Param("decision", _("处理意见"), Kind.LONGTEXT, required=True, max_length=2000),),
        primary=True,
    ),
    Transition(
        ObjectionAction.REJECT,
        frozenset({ObjectionStatus.PENDING}),
        ObjectionStatus.REJECTED,
        CONDUCT,
        params=(Param("decision", _("处理意见"), Kind.LONGTEXT, required=True, max_length=2000),),
    ),
]

OBJECTIONS = machines.add(
    Machine(
        name="elections.objections",
        statuses=ObjectionStatus,
        actions=ObjectionAction,
        transitions=OBJECTION_TRANSITIONS,
        noun="选民名单申诉",
    )
)
