"""The dashboard's panel 代表提案办理: the proposals assigned in the period in the dashboard's
streets — answered on time, late, overdue and unanswered — and the proposers' satisfaction
(满意 + 基本满意 among those rated), one query (reports.handling)."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.insights.dashboard.filters import DashboardFilters
from civicgrid.insights.dashboard.panels import Panel, register

from .. import reports
from ..models import Proposal


def proposals(filters: DashboardFilters) -> dict[str, Any]:
    assigned = Proposal.objects.restrict(filters.user, "view").filter(
        street_id__in=filters.street_ids,
        assigned_on__gte=filters.period.start,
        assigned_on__lte=filters.period.end,
    )
    figures = reports.handling(assigned, filters.today)
    keys = ("assigned", "on_time", "late", "overdue", "pending", "rated", "on_time_rate", "satisfaction_rate")
    return {**{key: figures[key] for key in keys}, "url": reverse("programmes:sessions")}


register(
    Panel(
        "programmes_proposals",
        _("代表提案办理"),
        "programmes/panels/proposals.html",
        proposals,
        "programmes.view",
        on_wall=False,
    )
)
