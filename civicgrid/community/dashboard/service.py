"""The dashboard panel "服务中心" (insights.dashboard.panels): the queue now, today's and this
month's waiting time (mean, median, 90th percentile) against the street's
`community.waiting_target_minutes`, and the 上门办 done on time this month (late, open past due)
in the dashboard's streets."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core import profile
from civicgrid.insights.dashboard.panels import Panel, register

from ..models import Appointment, HomeService
from ..service_figures import home_on_time, queue_now, waiting


def service_centre(filters: Any) -> dict[str, Any]:
    user, today, streets = filters.user, filters.today, list(filters.street_ids)
    rows = Appointment.objects.restrict(user, "view").filter(street_id__in=streets)
    homes = HomeService.objects.restrict(user, "view").filter(street_id__in=streets)
    month = today.replace(day=1)
    day, period = waiting(rows, today, today), waiting(rows, month, today)
    home = home_on_time(homes, month, today, today)
    # One street: its own target; several: the city's (a district's may differ street by street).
    target = profile.value("community.waiting_target_minutes", streets[0] if len(streets) == 1 else None)
    return {
        "queue": queue_now(rows, today),
        "today": {"mean": day.mean, "median": day.median, "p90": day.p90, "called": day.count},
        "month": {"mean": period.mean, "median": period.median, "p90": period.p90, "called": period.count},
        "target": target,
        "over_target": period.mean is not None and period.mean > target,
        "home": {
            "on_time": home.on_time,
            "late": home.late,
            "open_overdue": home.open_overdue,
            "on_time_pct": home.on_time_pct,
        },
        "url": reverse("community:service_figures"),
    }


register(
    Panel(
        "community_service",
        _("服务中心"),
        "community/panels/service.html",
        service_centre,
        "community.view",
        on_wall=False,
    )
)
