"""The timeline's checks: the statutory steps in their order, the list published at least the
rule's days before election day, objections filed and decided before it, the official
candidates announced in time. `check()` refuses an impossible schedule naming the step;
`default_plan()` proposes one from the election day."""

from collections.abc import Mapping
from datetime import date, timedelta

from django.utils.translation import gettext as _

from civicgrid.core.errors import InvalidInput

from .choices import STEP_ORDER, Step
from .rules import Rules

# Days before (−) or after (+) election day a new election's steps are planned: the list is
# published a day earlier than the law's latest day, the rest as seed 001's round ran.
DEFAULT_OFFSETS = {
    Step.COMMITTEE_FORMED: -50,
    Step.GROUPS_DIVIDED: -44,
    Step.REGISTRATION_OPENED: -38,
    Step.REGISTRATION_CLOSED: -24,
    Step.CANDIDATES_ANNOUNCED: -7,
    Step.ELECTION_DAY: 0,
    Step.RESULTS_ANNOUNCED: 0,
    Step.RESULTS_REPORTED: 7,
}


def default_plan(election_day: date, rules: Rules) -> dict[str, date]:
    plan = {step: election_day + timedelta(days=days) for step, days in DEFAULT_OFFSETS.items()}
    plan[Step.LIST_PUBLISHED] = election_day - timedelta(days=rules.list_days_before + 1)
    plan[Step.CANDIDATES_ANNOUNCED] = min(
        plan[Step.CANDIDATES_ANNOUNCED], election_day - timedelta(days=rules.candidates_days_before)
    )
    return {step: plan[step] for step in STEP_ORDER}


def _label(step: str) -> str:
    return str(Step(step).label)


def check(dates: Mapping[str, date | None], rules: Rules) -> None:
    """Refuse (InvalidInput naming the step) a schedule no election could keep. `dates` maps
    each step to its date (done or planned); missing steps are not yet planned."""
    day = dates.get(Step.ELECTION_DAY)
    if day is None:
        raise InvalidInput(_("请确定选举日"), {Step.ELECTION_DAY: "required"})
    previous: tuple[str, date] | None = None
    for step in STEP_ORDER:
        when = dates.get(step)
        if when is None:
            continue
        if previous is not None and when < previous[1]:
            raise InvalidInput(
                _("“%(step)s”（%(when)s）不能早于“%(before)s”（%(then)s）")
                % {"step": _label(step), "when": when, "before": _label(previous[0]), "then": previous[1]},
                {step: "order"},
            )
        previous = (step, when)
    listed = dates.get(Step.LIST_PUBLISHED)
    if listed is not None:
        if (day - listed).days < rules.list_days_before:
            raise InvalidInput(
                _("选民名单须在选举日前至少 %(days)d 天公布：%(listed)s 距选举日 %(day)s 只有 %(left)d 天")
                % {"days": rules.list_days_before, "listed": listed, "day": day, "left": (day - listed).days},
                {Step.LIST_PUBLISHED: "too_late"},
            )
        decided_by = listed + timedelta(days=rules.objection_days + rules.objection_decision_days)
        if decided_by >= day:
            raise InvalidInput(
                _("申诉期 %(filed)d 天和处理期 %(decided)d 天须在选举日前结束：最迟 %(last)s，选举日 %(day)s")
                % {
                    "filed": rules.objection_days,
                    "decided": rules.objection_decision_days,
                    "last": decided_by,
                    "day": day,
                },
                {Step.LIST_PUBLISHED: "objections"},
            )
    announced = dates.get(Step.CANDIDATES_ANNOUNCED)
    if announced is not None and (day - announced).days < rules.candidates_days_before:
        raise InvalidInput(
            _("正式候选人名单须在选举日前至少 %(days)d 天公布：%(announced)s 距选举日只有 %(left)d 天")
            % {"days": rules.candidates_days_before, "announced": announced, "left": (day - announced).days},
            {Step.CANDIDATES_ANNOUNCED: "too_late"},
        )
