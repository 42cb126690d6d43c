"""The workbench's queues and filters, shared by the page (views/staff.py) and the export job
(jobs.py), so an export holds exactly the cases the dispatcher was looking at."""

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy

from civicgrid.core.choices import Action

from .choices import OPEN_STATUSES, CaseStatus
from .forms import WorkbenchFilterForm
from .models import Case

# (key, label, condition).
QUEUES: tuple[tuple[str, Any, Q], ...] = (
    ("new", gettext_lazy("待受理"), Q(status=CaseStatus.NEW)),
    ("dispatch", gettext_lazy("待派遣"), Q(status__in=[CaseStatus.FILED, CaseStatus.REOPENED])),
    ("returned", gettext_lazy("已退单"), Q(status=CaseStatus.RETURNED)),
    ("overdue", gettext_lazy("超期"), Q(is_overdue=True, status__in=OPEN_STATUSES)),
    ("verify", gettext_lazy("待核查"), Q(status=CaseStatus.HANDLED)),
    ("callback", gettext_lazy("待回访"), Q(status=CaseStatus.CLOSED, called_back_at__isnull=True)),
    ("all", gettext_lazy("全部"), Q()),
)
QUEUE_CONDITIONS = {key: q for key, _label, q in QUEUES}
QUEUE_LABELS = {key: label for key, label, _q in QUEUES}
# Filter fields an export remembers (the form's fields plus the queue).
PARAMS = ("queue", "status", "grid", "category", "channel", "date_from", "date_to", "q")


def filtered_cases(user: Any, form: WorkbenchFilterForm) -> QuerySet[Case]:
    """The user's cases (restrict) narrowed by the filter form; an invalid form filters nothing."""
    qs = Case.objects.restrict(user, Action.VIEW)
    if not form.is_valid():
        return qs
    data = form.cleaned_data
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("grid"):
        qs = qs.filter(grid=data["grid"])
    if data.get("category"):
        # A class code (E21) matches its whole branch.
        qs = qs.filter(Q(category__code=data["category"]) | Q(category__parent__code=data["category"]))
    if data.get("channel"):
        qs = qs.filter(channel=data["channel"])
    if data.get("date_from"):
        qs = qs.filter(received_at__date__gte=data["date_from"])
    if data.get("date_to"):
        qs = qs.filter(received_at__date__lte=data["date_to"])
    text = (data.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(title__icontains=text)
            | Q(description__icontains=text)
            | Q(address__icontains=text)
        )
    return qs


# Counted on their own: the condition reads a column the covering index of the others lacks,
# and has a partial index of its own.
SEPARATELY_COUNTED = frozenset({"callback"})


def queue_counts(base: QuerySet[Case]) -> dict[str, int]:
    """Every queue's count for the filtered cases: one aggregate that PostgreSQL answers from
    the covering index of (street, status, handling deadline, id, overdue) without reading
    the table, and one count from the 待回访 partial index."""
    together = {key: Count("pk", filter=q) for key, _label, q in QUEUES if key not in SEPARATELY_COUNTED}
    counts: dict[str, int] = base.order_by().aggregate(**together)
    for key in SEPARATELY_COUNTED:
        counts[key] = base.filter(QUEUE_CONDITIONS[key]).order_by().count()
    return counts


def queue_cases(user: Any, params: Mapping[str, Any]) -> QuerySet[Case]:
    """The list the workbench shows for these GET parameters (queue included), unpaginated."""
    data = {k: params[k] for k in PARAMS if params.get(k) not in (None, "")}
    form = WorkbenchFilterForm(data or None, user=user)
    queue = str(data.get("queue", "all"))
    base = filtered_cases(user, form)
    return base.filter(QUEUE_CONDITIONS.get(queue, Q()))


def clean_params(params: Mapping[str, Any]) -> dict[str, str]:
    """The filter part of a request's parameters, as stored on an export job."""
    return {k: str(params[k]) for k in PARAMS if params.get(k) not in (None, "")}
