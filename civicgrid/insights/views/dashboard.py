"""The operations dashboard (城运驾驶舱): the page with its filter and every panel the reader
may see, wall mode (a 1920×1080 screen, dark, no navigation, each panel refreshing itself every
minute through htmx), and one panel's fragment (what wall mode fetches). Read only: the panels
compute from the rollups and the case filter (insights.dashboard.panels)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from civicgrid.core.capabilities import require

from .. import metrics
from ..dashboard.filters import DashboardFilters
from ..dashboard.panels import PANELS, render_panel, visible

CAPABILITY = "insights.dashboard"


def _context(request: HttpRequest, *, wall: bool) -> dict[str, Any]:
    filters = DashboardFilters(request.GET, request.user)
    if not wall:
        filters.for_page()  # the filter form is on the page, not on the wall
    return {
        "filters": filters,
        "panels": [
            (panel, render_panel(panel, filters, wall=wall))
            for panel in visible(request.user)
            if panel.on_wall or not wall
        ],
        "freshness": metrics.freshness(),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    require(request.user, CAPABILITY)
    return render(request, "insights/dashboard.html", _context(request, wall=False))


@login_required
def wall(request: HttpRequest) -> HttpResponse:
    require(request.user, CAPABILITY)
    return render(request, "insights/wall.html", _context(request, wall=True))


@login_required
def panel(request: HttpRequest, name: str) -> HttpResponse:
    """One panel's inside, under the dashboard's query string; in wall mode (`wall=1`) with the
    freshness line swapped out of band."""
    require(request.user, CAPABILITY)
    found = PANELS.get(name)
    if found is None or found not in visible(request.user):
        raise Http404(name)
    wall_mode = request.GET.get("wall") == "1"
    filters = DashboardFilters(request.GET, request.user)
    context = {
        "html": render_panel(found, filters, wall=wall_mode),
        "freshness": metrics.freshness() if wall_mode else None,
    }
    return render(request, "insights/panels/_fragment.html", context)


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/wall/", wall, name="wall"),
    path("dashboard/panels/<slug:name>/", panel, name="panel"),
]
