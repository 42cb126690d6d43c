"""The dashboard panel "社区活动" (insights.dashboard.panels): in the reader's streets, the
activities held in the month and the year of the dashboard period's end, their attendance
(check-ins of the confirmed places, walk-ins) and the year's figures by audience."""

from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.filters import start_of
from civicgrid.insights.dashboard.panels import Panel, register

from ..activities_data import attendance
from ..models import Activity


def activities_held(filters: Any) -> dict[str, Any]:
    end = filters.period.end
    year_start = date(end.year, 1, 1)
    rows = Activity.objects.restrict(filters.user, "view").filter(
        street_id__in=filters.street_ids,
        starts_at__gte=start_of(year_start),
        starts_at__lt=start_of(end + timedelta(days=1)),
    )
    year = attendance(rows)
    month = next((f for f in year.by_month if f.label == f"{end.year}-{end.month:02d}"), None)
    query = urlencode({"date_from": year_start.isoformat(), "date_to": end.isoformat()})
    return {
        "year": end.year,
        "month": end.month,
        "held_month": month.held if month else 0,
        "held_year": year.total.held,
        "rate_year": year.total.rate,
        "attendance_year": year.total.attendance,
        "by_audience": [f.as_dict() for f in year.by_audience],
        "url": reverse("community:activity_figures") + f"?{query}",
    }


register(
    Panel(
        "community_activities",
        _("社区活动"),
        "community/panels/activities.html",
        activities_held,
        "community.view",
        on_wall=False,
    )
)
