"""The dashboard panel "实事项目进度" (insights' panel registry): the year of the period's end,
the top-level projects of the dashboard's streets — how many, their mean progress, the ones
behind schedule (progress below the share of their period elapsed) — and the overdue
milestones, linked to the project list."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.choices import Action
from civicgrid.insights.dashboard.panels import Panel, register

from .. import progress
from ..choices import MilestoneStatus, ProjectStatus
from ..models import Project, ProjectMilestone

SHOWN = 8


def compute(filters: Any) -> dict[str, Any]:
    year = filters.period.end.year
    projects = (
        Project.objects.restrict(filters.user, Action.VIEW)
        .filter(year=year, street_id__in=filters.street_ids, parent=None)
        .exclude(status__in=[ProjectStatus.DRAFT, ProjectStatus.CANCELLED])
        .order_by("progress", "id")
    )
    rows = list(projects.only("pk", "title", "progress", "status", "starts_on", "ends_on"))
    behind = [p for p in rows if progress.behind(p, filters.period.end)]
    overdue = (
        ProjectMilestone.objects.restrict(filters.user, Action.VIEW)
        .filter(project__year=year, street_id__in=filters.street_ids, status=MilestoneStatus.OVERDUE)
        .count()
    )
    mean = sum((p.progress for p in rows), start=0) / len(rows) if rows else None
    return {
        "year": year,
        # Not "count": the linked list shows the year's whole tree, children too, so it is no
        # list of exactly this many (the dashboard's "count" + "url" promise, test_dashboard_links).
        "projects": len(rows),
        "mean": None if mean is None else round(float(mean)),
        "behind_count": len(behind),
        "behind": [
            {"title": p.title, "progress": round(float(p.progress)), "url": p.get_absolute_url()}
            for p in behind[:SHOWN]
        ],
        "overdue_milestones": overdue,
        "url": reverse("programmes:projects") + f"?year={year}",
    }


register(
    Panel(
        "programmes_projects",
        _("实事项目进度"),
        "programmes/panels/projects.html",
        compute,
        "programmes.view",
        on_wall=False,
    )
)
