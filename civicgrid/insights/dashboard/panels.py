"""The dashboard's panels: each computes its context from a DashboardFilters (reading the
rollups where they can answer) and renders one template. The page, wall mode, the panel
endpoint (`insights:panel`, what wall mode refreshes) and the benchmark all go through PANELS.

(seam) The dashboard part registers the panels here."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .filters import DashboardFilters


@dataclass(frozen=True)
class Panel:
    name: str
    label: Any
    template: str
    compute: Callable[[DashboardFilters], dict[str, Any]]
    # The capability the panel also needs beyond insights.dashboard (e.g. inspections.view).
    capability: str | None = None


PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> Panel:
    PANELS[panel.name] = panel
    return panel
