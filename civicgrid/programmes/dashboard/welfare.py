"""The dashboard panel "公益认领" (insights.dashboard.panels): for the year of the dashboard's
period, the asks of the published welfare projects in its streets — needed, claimed and
delivered per ask kind and unit — and the claims awaiting the street's confirmation."""

from typing import Any

from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.insights.dashboard.panels import Panel, register

from ..choices import AskKind, ClaimStatus, WelfareStatus
from ..models import Ask, Claim
from ..welfare_data import percent

PUBLISHED = (WelfareStatus.OPEN, WelfareStatus.COVERED, WelfareStatus.CLOSED)


def claims_against_needs(filters: Any) -> dict[str, Any]:
    user, year = filters.user, filters.period.end.year
    asks = Ask.objects.restrict(user, "view").filter(
        street_id__in=filters.street_ids, project__year=year, project__status__in=PUBLISHED
    )
    sums = (
        asks.values("kind", "unit")
        .annotate(needed=Sum("quantity"), claimed=Sum("claimed"), delivered=Sum("delivered"))
        .order_by("kind", "unit")
    )
    order = list(AskKind.values)
    rows: list[dict[str, Any]] = sorted(
        (
            {
                "kind": row["kind"],
                "label": str(AskKind(row["kind"]).label),
                "unit": row["unit"],
                "needed": float(row["needed"]),
                "claimed": float(row["claimed"]),
                "delivered": float(row["delivered"]),
                "claimed_pct": percent(row["claimed"], row["needed"]),
                "delivered_pct": percent(row["delivered"], row["needed"]),
            }
            for row in sums
        ),
        key=lambda r: (order.index(str(r["kind"])), str(r["unit"])),
    )
    pending = (
        Claim.objects.restrict(user, "view")
        .filter(street_id__in=filters.street_ids, project__year=year, status=ClaimStatus.CLAIMED)
        .count()
    )
    return {
        "year": year,
        "rows": rows,
        "pending": pending,
        "url": reverse("programmes:welfare_board") + f"?year={year}",
    }


register(
    Panel(
        "programmes_welfare",
        _("公益认领"),
        "programmes/panels/welfare.html",
        claims_against_needs,
        "programmes.view",
        on_wall=False,
    )
)
