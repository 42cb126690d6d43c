"""/api/v1/insights/dashboard: every dashboard panel's figures as JSON, computed exactly as the
page computes them (insights.dashboard.panels), under the same query parameters (`period`,
`date_from`, `date_to`, `area`, `category`, `channel`, `lead_unit`). A bad parameter is a 400
naming it (the page drops it and shows why)."""

from typing import Any

from ninja import Router

from civicgrid.cases.errors import InvalidInput
from civicgrid.core.capabilities import require
from civicgrid.core.rest import READ_ERRORS

from ..dashboard.filters import DashboardFilters
from ..dashboard.panels import visible
from ..metrics import freshness

router = Router(tags=["insights"])


@router.get("/dashboard", response={200: dict[str, Any], **READ_ERRORS}, summary="城运驾驶舱各面板数据")
def get_dashboard(request: Any) -> dict[str, Any]:
    """`period` (today, 7d, week, month, last_month, 30d, year, custom), `date_from`/`date_to`
    (custom), and the case filter's `area`, `category`, `channel`, `lead_unit`. Each panel's
    numbers come with `url`, the workbench page listing exactly those cases."""
    user = request.auth
    require(user, "insights.dashboard")
    filters = DashboardFilters(request.GET, user)
    if filters.errors:
        message = "；".join(f"{name}: {text}" for name, text in filters.errors.items())
        raise InvalidInput(message, dict.fromkeys(filters.errors, "invalid"))
    return {
        "period": {"key": filters.period.key, "start": filters.period.start, "end": filters.period.end},
        "previous": {"start": filters.previous.start, "end": filters.previous.end},
        "filters": filters.filters,
        "as_of": freshness(),
        "panels": {
            panel.name: {"label": str(panel.label), **panel.compute(filters)}
            for panel in visible(user)
            if panel.name != "map"  # the map's data is insights:map_grids / map_points
        },
    }
