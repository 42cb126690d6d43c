"""The dashboard panel "志愿服务" (insights.dashboard.panels): for the year of the dashboard's
period, the confirmed hours of its streets by month (reversals included), the top teams and
the active volunteers (linked to the register)."""

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.insights.dashboard.panels import Panel, register

from .. import volunteer_hours as hours
from ..choices import VolunteerStatus
from ..models import HoursEntry, Volunteer


def volunteer_hours(filters: Any) -> dict[str, Any]:
    user, year = filters.user, filters.period.end.year
    entries = HoursEntry.objects.restrict(user, "view").filter(street_id__in=filters.street_ids)
    months = hours.months(entries, year)
    peak = max([n for _, n in months] + [Decimal(1)])
    return {
        "year": year,
        "total": float(sum((n for _, n in months), hours.ZERO)),
        "months": [
            {"month": m, "hours": float(n), "pct": round(max(n, hours.ZERO) * 100 / peak)} for m, n in months
        ],
        "teams": [
            {"name": t["team__name"], "hours": float(t["hours"])} for t in hours.top_teams(entries, year)
        ],
        "active": Volunteer.objects.restrict(user, "view")
        .filter(street_id__in=filters.street_ids, status=VolunteerStatus.ACTIVE)
        .count(),
        "url": reverse("community:volunteers") + f"?status={VolunteerStatus.ACTIVE}",
    }


register(
    Panel(
        "community_volunteers",
        _("志愿服务"),
        "community/panels/volunteers.html",
        volunteer_hours,
        "community.view",
        on_wall=False,
    )
)
