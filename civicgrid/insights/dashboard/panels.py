"""The dashboard's panels: each computes its context from a DashboardFilters (reading the
rollups where they can answer) and renders one template. The page, wall mode, the panel
endpoint (`insights:panel`, what wall mode refreshes), the API and the benchmark all go
through PANELS.

A panel's `compute` returns plain data (numbers, strings, dates, lists and dicts): the same
dict is the template's context and the API's JSON. Every number a panel shows comes with the
workbench link listing exactly its cases (`DashboardFilters.link(...)`, `figure=` naming the
number's condition in cases.figures), so a number and its list agree by construction.

Rankings (考核) of units and grids are sorted by a score out of 100:
    40 × on-time closure rate + 40 × satisfaction rate + 20 × (1 − overdue / counted),
a rate without a denominator (nothing closed, no callback reached the requester) leaves its
term out and the weights of the others are scaled up to 100; ties by total, then name. Cases
without a lead unit (not dispatched yet) or without a grid are not ranked."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.choices import Channel
from civicgrid.cases.figures import FIGURES
from civicgrid.cases.metrics import RATES
from civicgrid.core.capabilities import may
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .. import metrics
from ..models import DayRollup
from .filters import DashboardFilters

TOP_CATEGORIES = 10
TOP_OVERDUE = 10
FEED_LENGTH = 15
# The score's weights (see the module docstring).
WEIGHTS = (("on_time_closure_rate", 40), ("satisfaction_rate", 40), ("punctuality", 20))


@dataclass(frozen=True)
class Panel:
    name: str
    label: Any
    template: str
    compute: Callable[[DashboardFilters], dict[str, Any]]
    # The capability the panel also needs beyond insights.dashboard (e.g. inspections.view).
    capability: str | None = None
    # Wall mode refreshes the panel every minute (the map keeps its own layers instead).
    poll: bool = True
    # Shown in wall mode too: its 1920×1080 grid holds the operations panels; a later app's panels of
    # yearly figures (programmes) stay on the page.
    on_wall: bool = True


PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> Panel:
    PANELS[panel.name] = panel
    return panel


def visible(user: Any) -> list[Panel]:
    """The panels `user` may see, in registration order."""
    return [p for p in PANELS.values() if p.capability is None or may(user, p.capability)]


def render_panel(panel: Panel, filters: DashboardFilters, *, wall: bool = False) -> SafeString:
    """One panel's HTML (its <section>'s inside): the page, wall mode and the fragment endpoint."""
    context = {**panel.compute(filters), "panel": panel, "filters": filters, "wall": wall}
    return render_to_string(panel.template, context)


def _share(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


# ---------------------------------------------------------------------------- rates


def rates(filters: DashboardFilters) -> dict[str, Any]:
    now = metrics.summary(filters.user, **filters.metrics_args())
    before = metrics.summary(filters.user, **filters.metrics_args(filters.previous))
    gauges: list[dict[str, Any]] = []
    for rate in RATES:
        num, den = now[f"{rate.key}_numerator"], now[f"{rate.key}_denominator"]
        value, previous = now[f"{rate.key}_rate"], before[f"{rate.key}_rate"]
        gauges.append(
            {
                "key": rate.key,
                "label": str(rate.label),
                "percent": _share(value),
                "previous_percent": _share(previous),
                "change": None if value is None or previous is None else round((value - previous) * 100, 1),
                "numerator": {
                    "label": str(rate.numerator_label),
                    "count": num,
                    "url": filters.link(figure=f"{rate.key}_numerator"),
                },
                "denominator": {
                    "label": str(rate.denominator_label),
                    "count": den,
                    "url": filters.link(figure=f"{rate.key}_denominator"),
                },
                "missed": {
                    "label": str(FIGURES[f"{rate.key}_missed"][0]),
                    "count": den - num,
                    "url": filters.link(figure=f"{rate.key}_missed"),
                },
                "previous_url": filters.link(filters.previous, figure=f"{rate.key}_denominator"),
            }
        )
    return {
        "total": {"count": now["total"], "url": filters.link()},
        "overdue": {"count": now["overdue"], "url": filters.link(figure="overdue")},
        "gauges": gauges,
        "chart": {
            "kind": "gauges",
            "items": [
                {
                    "name": g["label"],
                    "value": g["percent"],
                    "previous": g["previous_percent"],
                    "url": g["denominator"]["url"],
                }
                for g in gauges
            ],
        },
    }


# ---------------------------------------------------------------------------- intake


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def intake(filters: DashboardFilters) -> dict[str, Any]:
    period = filters.period
    counts: dict[tuple[date, str], int] = {}
    whole_streets = filters.area is None or filters.area.kind in (AreaKind.STREET, AreaKind.DISTRICT)
    if whole_streets and not (filters.category or filters.channel or filters.lead_unit):
        # Only the street (or the reader's streets) and the period: the day rollups answer.
        rows = (
            DayRollup.objects.restrict(filters.user, "view")
            .filter(street_id__in=filters.street_ids, day__gte=period.start, day__lte=period.end)
            .order_by()
            .values("day", "channel")
            .annotate(n=Sum("received"))
            .values_list("day", "channel", "n")
        )
    else:
        rows = (
            filters.cases()
            .order_by()
            .annotate(day=TruncDate("received_at"))
            .values("day", "channel")
            .annotate(n=Count("pk"))
            .values_list("day", "channel", "n")
        )
    for day, channel, n in rows:
        if n:
            counts[(day, channel)] = counts.get((day, channel), 0) + n
    days = _days(period.start, period.end)
    channels = [
        (value, str(label)) for value, label in Channel.choices if any(c == value for _d, c in counts)
    ]
    cells = [
        {
            "day": day,
            "channel": value,
            "channel_label": label,
            "count": counts[(day, value)],
            "url": filters.link(date_from=day, date_to=day, channel=value),
        }
        for day in days
        for value, label in channels
        if (day, value) in counts
    ]
    url_of = {(c["day"], c["channel"]): c["url"] for c in cells}
    return {
        "total": sum(counts.values()),
        "cells": cells,
        "chart": {
            "kind": "bars",
            "stacked": True,
            "categories": [d.strftime("%m-%d") for d in days],
            "series": [
                {
                    "name": label,
                    "data": [
                        {"value": counts.get((d, value), 0), "url": url_of.get((d, value))} for d in days
                    ],
                }
                for value, label in channels
            ],
        },
    }


# ---------------------------------------------------------------------------- categories


def categories(filters: DashboardFilters) -> dict[str, Any]:
    rows = metrics.compute(filters.user, group_by="category", **filters.metrics_args())
    top = sorted((r for r in rows if r["total"]), key=lambda r: (-r["total"], r["code"]))[:TOP_CATEGORIES]
    items = [
        {"code": r["code"], "name": r["name"], "count": r["total"], "url": filters.link(category=r["code"])}
        for r in top
    ]
    return {
        "items": items,
        "chart": {
            "kind": "bars",
            "horizontal": True,
            "categories": [i["name"] for i in reversed(items)],
            "series": [
                {
                    "name": str(_("工单数")),
                    "data": [{"value": i["count"], "url": i["url"]} for i in reversed(items)],
                }
            ],
        },
    }


# ---------------------------------------------------------------------------- rankings


def score(row: dict[str, Any]) -> float | None:
    """The ranking score out of 100 (module docstring); None when nothing can be judged."""
    terms = {
        "on_time_closure_rate": row["on_time_closure_rate"],
        "satisfaction_rate": row["satisfaction_rate"],
        "punctuality": 1 - row["overdue"] / row["counted"] if row["counted"] else None,
    }
    weighed = [(terms[name], weight) for name, weight in WEIGHTS if terms[name] is not None]
    if not weighed:
        return None
    return round(100 * sum(v * w for v, w in weighed) / sum(w for _v, w in weighed), 1)


def _ranking(filters: DashboardFilters, group_by: str, param: str, key_of: str) -> dict[str, Any]:
    rows = metrics.compute(filters.user, group_by=group_by, **filters.metrics_args())
    ranked = []
    for row in rows:
        if row["key"] is None or not row["total"]:
            continue
        which = {param: row[key_of]}

        def cell(count: int, figure: str | None = None, which: dict[str, Any] = which) -> dict[str, Any]:
            return {"count": count, "url": filters.link(**which, figure=figure)}

        ranked.append(
            {
                "key": row["key"],
                "code": row["code"],
                "name": row["name"],
                "score": score(row),
                "total": cell(row["total"]),
                "overdue": cell(row["overdue"], "overdue"),
                "on_time_closure": {
                    "percent": _share(row["on_time_closure_rate"]),
                    "numerator": cell(row["on_time_closure_numerator"], "on_time_closure_numerator"),
                    "denominator": cell(row["on_time_closure_denominator"], "on_time_closure_denominator"),
                },
                "satisfaction": {
                    "percent": _share(row["satisfaction_rate"]),
                    "numerator": cell(row["satisfaction_numerator"], "satisfaction_numerator"),
                    "denominator": cell(row["satisfaction_denominator"], "satisfaction_denominator"),
                },
            }
        )
    ranked.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), -r["total"]["count"], r["name"]))
    for place, row in enumerate(ranked, start=1):
        row["rank"] = place
    return {"rows": ranked}


def units(filters: DashboardFilters) -> dict[str, Any]:
    return _ranking(filters, "unit", "lead_unit", "key")


def grids(filters: DashboardFilters) -> dict[str, Any]:
    """The grids of the one street shown; with several streets (a district, the city) the
    streets themselves — a city's thousands of grids are no ranking anyone reads, and cost
    seconds to build (docs/performance.md)."""
    if len(filters.street_ids) > 1:
        return {**_ranking(filters, "street", "street", "code"), "by_street": True}
    return {**_ranking(filters, "grid", "grid", "code"), "by_street": False}


# ---------------------------------------------------------------------------- case lists


def _case_row(case: Any) -> dict[str, Any]:
    return {
        "number": case.number,
        "category": case.category.label,
        "grid": case.grid.name if case.grid_id else "",
        "received_at": case.received_at,
        "handling_due_at": case.handling_due_at,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "url": case.get_absolute_url(),
    }


def overdue(filters: DashboardFilters) -> dict[str, Any]:
    cases = filters.cases(figure="overdue_open")
    top = cases.select_related("category", "grid").order_by("handling_due_at", "pk")[:TOP_OVERDUE]
    return {
        "count": cases.count(),
        "url": filters.link(figure="overdue_open"),
        "cases": [_case_row(c) for c in top],
    }


def feed(filters: DashboardFilters) -> dict[str, Any]:
    latest = filters.cases().select_related("category", "grid").order_by("-received_at", "-pk")[:FEED_LENGTH]
    return {"cases": [_case_row(c) for c in latest], "url": filters.link()}


# ---------------------------------------------------------------------------- other apps


def inspections(filters: DashboardFilters) -> dict[str, Any]:
    from civicgrid.inspections import oversight

    orders_url = oversight.links()["orders"]
    report = oversight.orders(filters.user)
    cover = oversight.coverage(filters.user, oversight.Period(filters.period.start, filters.period.end))

    def counts(row: Any, extra: str = "") -> dict[str, Any]:
        return {
            "label": str(row.label),
            "open": {"count": row.open, "url": f"{orders_url}?status=open{extra}"},
            "overdue": {"count": row.overdue, "url": f"{orders_url}?status=open&overdue=true{extra}"},
        }

    return {
        "orders": counts(report.total),
        "orders_by_area": [counts(row, f"&area={row.key}") for row in report.by_area],
        "coverage": {
            "due": cover.total.due,
            "inspected": cover.total.inspected,
            "percent": cover.total.percent,
        },
        "campaigns": [
            {
                "label": c.label,
                "due": c.due,
                "inspected": c.inspected,
                "percent": c.percent,
                "target": c.target,
                "on_target": c.on_target,
            }
            for c in cover.campaigns
        ],
    }


def care(filters: DashboardFilters) -> dict[str, Any]:
    """Households overdue for a visit, per residential area: counts over the dashboard's streets
    (residents.due.overdue_by_area, for readers of residents.counts). The list behind them is
    the due list, linked for those who may read its rows (a leader reads numbers only)."""
    from django.urls import reverse

    from civicgrid.residents.due import overdue_by_area

    by_area = overdue_by_area(filters.user, filters.street_ids)
    names = dict(Area.objects.filter(pk__in=[k for k in by_area if k]).values_list("pk", "name"))
    areas: list[dict[str, Any]] = [
        {"name": names.get(key, "") if key else str(_("未划入居民区")), "count": n}
        for key, n in by_area.items()
    ]
    areas.sort(key=lambda a: (-a["count"], a["name"]))
    url = reverse("residents:due") + "?overdue=on" if may(filters.user, "residents.care_tags") else ""
    return {"count": sum(by_area.values()), "areas": areas, "url": url}


def _map(filters: DashboardFilters) -> dict[str, Any]:
    # The maps part's include reads its data from insights:map_grids/map_points itself.
    return {}


for _panel in (
    Panel("rates", _("三率"), "insights/panels/rates.html", rates),
    Panel("intake", _("每日受理"), "insights/panels/intake.html", intake),
    Panel("map", _("地图"), "insights/panels/map.html", _map, poll=False),
    Panel("categories", _("高发问题分类"), "insights/panels/categories.html", categories),
    Panel("units", _("单位考核"), "insights/panels/ranking.html", units),
    Panel("grids", _("网格考核"), "insights/panels/ranking.html", grids),
    Panel("overdue", _("超期未办结"), "insights/panels/overdue.html", overdue),
    Panel("feed", _("最新受理"), "insights/panels/feed.html", feed),
    Panel("inspections", _("安全检查"), "insights/panels/inspections.html", inspections, "inspections.view"),
    Panel("care", _("关爱走访"), "insights/panels/care.html", care, "residents.counts"),
):
    register(_panel)
