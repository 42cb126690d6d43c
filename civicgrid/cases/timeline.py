"""A case's timeline in a few words per step, for the readers of paper and spreadsheets: the
export's 办理过程 column and the 结案单. Only the step, its time and the units it names — never
the notes, which may hold what the reporter typed (the case page shows those)."""

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from .choices import CaseAction

DISPATCHES = (CaseAction.DISPATCH, CaseAction.REDISPATCH)


def units_named(event: Any) -> str:
    """The units a timeline row names: a dispatch its lead and co-handling units (as they were
    called then, from the event), any other step the unit that took it."""
    if event.action in DISPATCHES:
        return "、".join(n for n in (event.data.get("lead_unit"), *event.data.get("co_units", ())) if n)
    return event.unit.name if event.unit_id else ""


def step(event: Any) -> str:
    """ "03-02 11:00 派遣 城管中队": the local time, the step and the units it names."""
    at = timezone.localtime(event.at)
    parts = [f"{at:%m-%d %H:%M}", str(event.get_action_display()), units_named(event)]
    return " ".join(p for p in parts if p)


def summary(events: Iterable[Any]) -> str:
    """The steps in order, joined by "; " (the rows as given: callers order them by time)."""
    return "; ".join(step(e) for e in events)
