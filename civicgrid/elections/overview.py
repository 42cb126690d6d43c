"""What the round page, the street-wide board and their API read off the rows: each election's
timeline as cells (planned and done dates, coloured against `clock.today()`), its next step and
whether it is late, the counts per status, and each effective rule with where its value comes
from. Pure functions of rows the caller has already restricted."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock

from .choices import STEP_ORDER, ElectionStatus, Step
from .models import Election, ElectionRound
from .rules import DEFAULTS, RULES, for_street, show

# A planned step this close (days) and not done is "due soon" on the board.
DUE_SOON_DAYS = 7

DONE, SOON, LATE, PLANNED, UNPLANNED = "done", "soon", "late", "planned", "unplanned"
STATE_LABELS = {
    DONE: _("已完成"),
    SOON: _("临近"),
    LATE: _("逾期"),
    PLANNED: _("已排期"),
    UNPLANNED: _("未排期"),
}

LAW, STREET, ROUND = "law", "street", "round"
SOURCE_LABELS = {LAW: _("法定默认"), STREET: _("街道配置"), ROUND: _("本届调整")}


@dataclass(frozen=True)
class Cell:
    step: Step
    planned_on: date | None
    done_on: date | None
    state: str

    @property
    def state_label(self) -> Any:
        return STATE_LABELS[self.state]


@dataclass(frozen=True)
class Row:
    election: Election
    cells: list[Cell]

    @property
    def deferred(self) -> bool:
        return self.election.status == ElectionStatus.DEFERRED

    @property
    def next(self) -> Cell | None:
        """The first step not done yet, in the law's order."""
        return next((c for c in self.cells if c.done_on is None), None)

    @property
    def late(self) -> bool:
        return any(c.state == LATE for c in self.cells)


def state(planned_on: date | None, done_on: date | None, today: date, *, paused: bool = False) -> str:
    """A step's colour: done; else late once its planned day has passed (not while the election
    is deferred: its dates are to be planned again); due soon within DUE_SOON_DAYS."""
    if done_on is not None:
        return DONE
    if planned_on is None:
        return UNPLANNED
    if not paused and planned_on < today:
        return LATE
    if not paused and planned_on <= today + timedelta(days=DUE_SOON_DAYS):
        return SOON
    return PLANNED


def with_milestones(elections: QuerySet[Election]) -> QuerySet[Election]:
    """The elections with their committee and milestones: two queries, whatever their number."""
    return elections.select_related("area").prefetch_related("milestones")


def rows(elections: QuerySet[Election] | list[Election], today: date | None = None) -> list[Row]:
    """One row per election (fetched `with_milestones`), one cell per Step in the law's order."""
    today = today or clock.today()
    out = []
    for election in elections:
        by_step = {m.step: m for m in election.milestones.all()}
        paused = election.status == ElectionStatus.DEFERRED
        cells = []
        for step in STEP_ORDER:
            milestone = by_step.get(step)
            planned = milestone.planned_on if milestone else None
            done = milestone.done_on if milestone else None
            cells.append(Cell(step, planned, done, state(planned, done, today, paused=paused)))
        out.append(Row(election, cells))
    return out


def status_counts(board: list[Row]) -> list[tuple[str, Any, int]]:
    """(status, label, how many) for the statuses present, in the machine's order."""
    counted = Counter(row.election.status for row in board)
    return [(s.value, s.label, counted[s]) for s in ElectionStatus if counted[s]]


@dataclass(frozen=True)
class RuleRow:
    key: str
    label: Any
    value: Any
    source: str

    @property
    def source_label(self) -> Any:
        return SOURCE_LABELS[self.source]


def rule_rows(election_round: ElectionRound) -> list[RuleRow]:
    """Each effective rule of the round with its source: this round's override, else the
    street profile's value where it differs from the law, else the law's default."""
    street = for_street(election_round.street_id)
    effective = street.with_values(election_round.rule_values)
    out = []
    for key, rule in RULES.items():
        if key in election_round.rule_values:
            source = ROUND
        elif getattr(street, key) != getattr(DEFAULTS, key):
            source = STREET
        else:
            source = LAW
        out.append(RuleRow(key, rule.label, show(getattr(effective, key)), source))
    return out
