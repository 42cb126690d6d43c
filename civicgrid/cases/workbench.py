"""The workbench's queues, and its filter (cases.filters.CaseFilterSet, the one every case
list uses), shared by the page (views/staff.py) and the export job (jobs.py), so an export
holds exactly the cases the dispatcher was looking at."""

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy

from civicgrid.core.choices import Action

from .choices import OPEN_STATUSES, CaseStatus, PlaceStatus
from .filters import PARAMS as FILTER_PARAMS
from .filters import CaseFilterSet
from .models import Case

# (key, label, condition).
QUEUES: tuple[tuple[str, Any, Q], ...] = (
    ("new", gettext_lazy("待受理"), Q(status=CaseStatus.NEW)),
    ("dispatch", gettext_lazy("待派遣"), Q(status__in=[CaseStatus.FILED, CaseStatus.REOPENED])),
    ("returned", gettext_lazy("已退单"), Q(status=CaseStatus.RETURNED)),
    ("overdue", gettext_lazy("超期"), Q(is_overdue=True, status__in=OPEN_STATUSES)),
    ("verify", gettext_lazy("待核查"), Q(status=CaseStatus.HANDLED)),
    ("callback", gettext_lazy("待回访"), Q(status=CaseStatus.CLOSED, called_back_at__isnull=True)),
    # Open orders whose place the desk must find (更正位置) or whose grid it must choose.
    ("to_locate", gettext_lazy("待定位"), Q(place_status=PlaceStatus.TO_LOCATE, status__in=OPEN_STATUSES)),
    ("grid_conflict", gettext_lazy("网格冲突"), Q(grid_conflict=True, status__in=OPEN_STATUSES)),
    ("all", gettext_lazy("全部"), Q()),
)
QUEUE_CONDITIONS = {key: q for key, _label, q in QUEUES}
# Parameters an export remembers: the filter's and the queue.
PARAMS = ("queue", *FILTER_PARAMS)
# The filters the page shows (the others still apply when a link carries them).
PAGE_FILTERS = ("status", "grid", "category", "channel", "date_from", "date_to", "q")


def case_filter(user: Any, params: Mapping[str, Any] | None) -> CaseFilterSet:
    """The user's cases (restrict) under the filter of these parameters; a bad value is a form
    error, and the valid ones still filter."""
    return CaseFilterSet(params or None, Case.objects.restrict(user, Action.VIEW), user=user)


# Counted on their own: each condition reads a column the covering index of the others lacks,
# and has a partial index of its own.
SEPARATELY_COUNTED = frozenset({"callback", "to_locate", "grid_conflict"})


def queue_counts(base: QuerySet[Case]) -> dict[str, int]:
    """Every queue's count for the filtered cases: one aggregate that PostgreSQL answers from
    the covering index of (street, status, handling deadline, id, overdue) without reading
    the table, and one count from each partial index (待回访, 待定位, 网格冲突)."""
    together = {key: Count("pk", filter=q) for key, _label, q in QUEUES if key not in SEPARATELY_COUNTED}
    counts: dict[str, int] = base.order_by().aggregate(**together)
    for key in SEPARATELY_COUNTED:
        counts[key] = base.filter(QUEUE_CONDITIONS[key]).order_by().count()
    return counts


def queue_cases(user: Any, params: Mapping[str, Any]) -> QuerySet[Case]:
    """The list the workbench shows for these GET parameters (queue included), unpaginated."""
    queue = str(params.get("queue") or "all")
    return case_filter(user, params).qs.filter(QUEUE_CONDITIONS.get(queue, Q()))


def clean_params(params: Mapping[str, Any]) -> dict[str, str]:
    """The filter part of a request's parameters, as stored on an export job."""
    return {k: str(params[k]) for k in PARAMS if params.get(k) not in (None, "")}
