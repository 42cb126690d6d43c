"""A practical project's progress, computed from its targets (as Decidim's accountability does
for results), and the series of its linked-cases chart.

The rule:
- a project without children (a leaf): the mean over its targets of min(reached / goal, 1),
  as a percentage — every target counts the same (450 homes rewired and 16 charging sites are
  different units, so there is nothing to weight them by), and over-achievement of one target
  never hides another's shortfall (capped at 100 %); no targets yet: 0;
- a parent: the mean of its children's progress weighted by each child's `weight`, over the
  children that are not cancelled (a cancelled child is no longer promised; drafts count,
  with their 0, as work still to do); no such child: 0.
A parent has no targets of its own (actions.projects refuses them), so the two never mix.
`Project.progress` stores the figure; `refresh()` keeps it and its ancestors' up to date."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from civicgrid.core import clock

from .choices import ProjectStatus
from .models import ProgressReport, Project, Target

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def share(reached: Decimal, goal: Decimal) -> Decimal:
    """One target's completion in %, capped at 100."""
    if goal <= 0:
        return Decimal(0)
    return min(Decimal(reached) / Decimal(goal), Decimal(1)) * HUNDRED


def leaf_progress(targets: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """(reached, goal) pairs → the leaf's progress."""
    shares = [share(reached, goal) for reached, goal in targets]
    return _round(sum(shares, Decimal(0)) / len(shares)) if shares else Decimal("0.00")


def parent_progress(children: Iterable[tuple[int, Decimal, str]]) -> Decimal:
    """(weight, progress, status) of each child → the parent's progress."""
    counted = [(w, Decimal(p)) for w, p, status in children if status != ProjectStatus.CANCELLED]
    total = sum(w for w, _p in counted)
    if not total:
        return Decimal("0.00")
    return _round(sum((w * p for w, p in counted), Decimal(0)) / total)


def compute(project: Project, pending: Mapping[int, str] | None = None) -> Decimal:
    """The project's progress from the database (one query). `pending` gives statuses a running
    action is about to write (the frame applies the target after the body), by project id."""
    pending = pending or {}
    children = list(project.children.values_list("pk", "weight", "progress", "status"))
    if children:
        return parent_progress((w, p, pending.get(pk, s)) for pk, w, p, s in children)
    return leaf_progress(project.targets.values_list("reached", "goal"))


def refresh(project: Project, pending: Mapping[int, str] | None = None) -> Decimal:
    """Recompute the project and each ancestor, in two or three queries a level; the
    ancestors' rows are locked so two reports on sibling children cannot overwrite each
    other's sums. Returns the project's figure."""
    figure = compute(project, pending)
    if figure != project.progress:
        Project.objects.filter(pk=project.pk).update(progress=figure, updated_at=clock.now())
    project.progress = figure
    parent_id = project.parent_id
    while parent_id is not None:
        parent = Project.objects.select_for_update().get(pk=parent_id)
        value = compute(parent, pending)
        if value != parent.progress:
            Project.objects.filter(pk=parent.pk).update(progress=value, updated_at=clock.now())
        parent_id = parent.parent_id
    return figure


def behind(project: Project, today: date | None = None) -> bool:
    """Whether an active project's progress is below the share of its period elapsed."""
    if project.status != ProjectStatus.ACTIVE:
        return False
    today = today or clock.today()
    span = (project.ends_on - project.starts_on).days
    if span <= 0 or today <= project.starts_on:
        return False
    elapsed = min(Decimal((today - project.starts_on).days) / span, Decimal(1)) * HUNDRED
    return project.progress < elapsed


# ---------------------------------------------------------------------------- linked cases


def linked_cases(project: Project, cases: QuerySet[Any]) -> QuerySet[Any]:
    """Among `cases` (already restricted to the reader): those linked by hand, and those of the
    project's case categories in its area (the street, or the area's subtree) received within
    its period."""
    by_hand = Q(pk__in=project.case_links.values("case_id"))
    categories = list(project.case_categories.values_list("pk", flat=True))
    if not categories:
        return cases.filter(by_hand)
    place = Q(street_id=project.street_id)
    area = project.area
    if area is not None:
        place &= Q(residential_area__path__startswith=area.path) | Q(grid__path__startswith=area.path)
    period = Q(received_at__date__gte=project.starts_on, received_at__date__lte=project.ends_on)
    return cases.filter(by_hand | (Q(category_id__in=categories) & place & period))


def _months(first: date, last: date) -> list[date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def chart(project: Project, cases: QuerySet[Any], targets: list[Target]) -> dict[str, Any]:
    """The chart's data, month by month over the project's period up to this month: linked cases
    received (one query) and, per target, the cumulative figure reached at the month's end
    from the reports (one query)."""
    today = clock.today()
    months = _months(project.starts_on, min(project.ends_on, today))
    received = dict(
        linked_cases(project, cases)
        .annotate(month=TruncMonth("received_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    per_month = {(m.date() if hasattr(m, "date") else m): n for m, n in received.items()}
    reports: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    rows = ProgressReport.objects.filter(project=project, target__isnull=False, value__isnull=False)
    for target_id, on, value in rows.order_by("reported_on", "pk").values_list(
        "target_id", "reported_on", "value"
    ):
        reports[target_id].append((on, value or Decimal(0)))
    series = []
    for target in targets:
        figures, latest, points = [], Decimal(0), reports.get(target.pk, [])
        for month in months:
            end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            for on, value in points:
                if on < end:
                    latest = value
            figures.append(float(latest))
        series.append({"name": f"{target.name}（{target.unit}）", "data": figures})
    return {
        "months": [f"{m:%Y-%m}" for m in months],
        "cases": [per_month.get(m, 0) for m in months],
        "targets": series,
    }
