"""A hotspot (问题点): a set of cases the root-cause analysis singled out, named by the case
filter's own parameters (cases.filters.CaseFilterSet) — a building, an address, a category in
a grid, a category street-wide, a topic's cases. Its count, the workbench list its link opens
and a plan's before/after chart all select the cases through that one filter.

A hotspot travels to the plan form as GET parameters (`kind`, `label`, `params` as JSON); the
form checks them again with the dispatcher's own filter, so a tampered link can name nothing
outside their scope."""

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse

from civicgrid.cases.errors import InvalidInput
from civicgrid.cases.filters import PARAMS, filter_cases
from civicgrid.cases.models import Case
from civicgrid.core.choices import Action

from .choices import HotspotKind

# Parameters a hotspot may be named by (no period: the period is the reader's).
HOTSPOT_PARAMS = frozenset(PARAMS) - {"date_from", "date_to", "received_from", "received_to"}


@dataclass
class Hotspot:
    kind: str  # HotspotKind
    label: str
    params: dict[str, str]
    count: int = 0  # cases in the window the analysis looked at
    date_from: date | None = None
    date_to: date | None = None
    previous: int | None = None  # a rise: the count of the week before
    detail: str = ""
    examples: list[Case] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(HotspotKind(self.kind).label)

    def cases_link(self, date_from: date | None = None, date_to: date | None = None) -> str:
        """The workbench (all queues) filtered to this hotspot's cases in the period."""
        start, end = date_from or self.date_from, date_to or self.date_to
        return workbench_link({**self.params, "date_from": start, "date_to": end})

    def plan_link(self) -> str:
        """The plan form, prefilled with this hotspot."""
        query = {
            "kind": self.kind,
            "label": self.label,
            "params": json.dumps(self.params, ensure_ascii=False),
        }
        return reverse("insights:plan_new") + "?" + urlencode(query)


def workbench_link(params: dict[str, Any]) -> str:
    """The workbench's "all" queue under these case-filter parameters (empty ones left out)."""
    query = {"queue": "all", **{k: v for k, v in params.items() if v not in (None, "")}}
    return reverse("cases:workbench") + "?" + urlencode(query)


def clean_params(raw: Any) -> dict[str, str]:
    """A hotspot's parameters from a link or a form: a JSON object of case-filter parameters;
    InvalidInput for anything else."""
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise InvalidInput("问题点条件无效", {"params": "invalid"}) from None
    if not isinstance(value, dict) or not value:
        raise InvalidInput("问题点条件无效", {"params": "invalid"})
    unknown = sorted(set(value) - HOTSPOT_PARAMS)
    if unknown:
        raise InvalidInput(f"问题点条件含未知参数：{'、'.join(unknown)}", {"params": "unknown"})
    return {str(k): str(v) for k, v in value.items() if v not in (None, "")}


def hotspot_cases(
    user: Any, params: dict[str, Any], date_from: date | None = None, date_to: date | None = None
) -> QuerySet[Case]:
    """The reader's cases at the hotspot (in the period): InvalidInput naming a bad parameter."""
    period = {"date_from": date_from, "date_to": date_to}
    criteria = {**params, **{k: v.isoformat() for k, v in period.items() if v is not None}}
    return filter_cases(Case.objects.restrict(user, Action.VIEW), criteria, user=user)


def weekly_counts(user: Any, params: dict[str, Any], start: date, weeks: int) -> list[tuple[date, int]]:
    """Cases at the hotspot per week (Monday first) for `weeks` weeks from the week of
    `start`: [(monday, count)], each the count of the list `workbench_link` opens for that
    week. One query."""
    monday = start - timedelta(days=start.weekday())
    end = monday + timedelta(days=7 * weeks - 1)
    days = (
        hotspot_cases(user, params, monday, end)
        .order_by()
        .annotate(day=TruncDate("received_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    counts = [0] * weeks
    for day, n in days:
        counts[(day - monday).days // 7] += n
    return [(monday + timedelta(days=7 * i), n) for i, n in enumerate(counts)]
