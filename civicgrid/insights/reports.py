"""Weekly and monthly reports (城运工作周报、月报) of a street as PDF: the rates against the period
before, intake per day by channel, top categories, unit and grid rankings, the overdue open
cases, hotspots, governance plans, inspections and care visits — each read through the same
functions the pages use (insights.metrics, cases' filter, insights.analysis,
inspections.oversight, residents.due), so a report's numbers are the pages' numbers.

A scheduled report has no requester: it is read as the street's leader — an active LEADER
account bound to the street (else an ADMIN one), whose scope is exactly that street. A street
with neither is skipped with a warning (`reader_of` returns None)."""

import logging
from collections import defaultdict
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import User
from civicgrid.cases.choices import Channel
from civicgrid.cases.filters import CaseFilterSet
from civicgrid.cases.metrics import GROUP_LABELS, RATES
from civicgrid.cases.models import Case
from civicgrid.core import clock, pdf
from civicgrid.core.choices import Action
from civicgrid.geo.models import Area
from civicgrid.inspections import oversight
from civicgrid.residents.due import overdue_by_area

from . import analysis, charts, metrics
from .capabilities import REPORT_READERS
from .choices import PlanStatus, ReportKind
from .dashboard.filters import previous_days
from .models import DayRollup, GovernancePlan, Report

logger = logging.getLogger(__name__)

TOP_CATEGORIES = 10
TOP_RANKED = 15
OVERDUE_LISTED = 30
HOTSPOTS_LISTED = 15
TITLES: dict[str, Any] = {ReportKind.WEEKLY: _("城运工作周报"), ReportKind.MONTHLY: _("城运工作月报")}


def report_period(kind: str, day: date) -> tuple[date, date]:
    """The period a report made on `day` covers (both days included): the week before
    (Monday–Sunday) for a weekly report, the calendar month before for a monthly one."""
    if kind == ReportKind.WEEKLY:
        monday = day - timedelta(days=day.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if kind == ReportKind.MONTHLY:
        end = day.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    raise ValueError(f"unknown report kind {kind!r}")


def reader_of(street: Area) -> User | None:
    """Whose eyes a scheduled report reads with: an active leader of the street, else an
    active administrator of it (the oldest account first, so the choice is stable)."""
    for role in REPORT_READERS:
        user = (
            User.objects.filter(is_active=True, role=role, memberships__area=street)
            .order_by("date_joined", "pk")
            .first()
        )
        if user is not None:
            return user
    return None


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _ranked(rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The named groups with cases, most cases first, each with its rates as text."""
    named = [r for r in rows if r["key"] is not None and r["total"]]
    named.sort(key=lambda r: (-r["total"], -r["overdue"], r["name"]))
    return [{**r, "rates_text": [percent(r[f"{rate.key}_rate"]) for rate in RATES]} for r in named[:limit]]


def _intake(reader: Any, street: Area, start: date, end: date) -> dict[str, Any]:
    rows = (
        DayRollup.objects.restrict(reader, Action.VIEW)
        .filter(street=street, day__gte=start, day__lte=end)
        .values("day", "channel")
        .annotate(n=Sum("received"))
        .order_by()
    )
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    per_channel: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for row in rows:
        per_channel[row["channel"]][index[row["day"]]] += row["n"] or 0
    labels = dict(Channel.choices)
    series = {
        str(labels.get(ch, ch)): per_channel[ch]
        for ch in [*Channel.values, *sorted(set(per_channel) - set(Channel.values))]
        if ch in per_channel
    }
    totals = [(str(label), sum(counts)) for label, counts in series.items()]
    return {"days": days, "series": series, "totals": totals, "total": sum(n for _, n in totals)}


def _hotspots(reader: Any, street: Area, end: date) -> list[Any]:
    return analysis.hotspots(reader, street, end)[:HOTSPOTS_LISTED]


def _plans(reader: Any, street: Area, start: date, end: date) -> list[dict[str, Any]]:
    plans = (
        GovernancePlan.objects.restrict(reader, Action.VIEW)
        .filter(street=street, started_on__lte=end)
        .filter(
            Q(status=PlanStatus.ACTIVE)
            | Q(status=PlanStatus.COMPLETED, completed_on__gte=start, completed_on__lte=end)
        )
        .select_related("owner_unit")
        .annotate(linked=Count("cases"))
        .order_by("deadline", "pk")
    )
    return [
        {"plan": p, "overdue": p.status == PlanStatus.ACTIVE and p.deadline < end, "cases": p.linked}
        for p in plans
    ]


def report_context(reader: Any, street: Area, start: date, end: date, kind: str = "") -> dict[str, Any]:
    """Everything the report shows, read as `reader` (whose scope should be the street)."""
    before = previous_days(start, end)
    current = metrics.summary(reader, street=street, date_from=start, date_to=end)
    previous = metrics.summary(reader, street=street, date_from=before[0], date_to=before[1])
    rates = [
        {
            "label": str(rate.label),
            "current": current[f"{rate.key}_rate"],
            "numerator": current[f"{rate.key}_numerator"],
            "denominator": current[f"{rate.key}_denominator"],
            "previous": previous[f"{rate.key}_rate"],
        }
        for rate in RATES
    ]
    for row in rates:
        now, then = row["current"], row["previous"]
        row["current_text"], row["previous_text"] = percent(now), percent(then)
        row["change_text"] = "—" if now is None or then is None else f"{(now - then) * 100:+.1f}"
    period: dict[str, Any] = {"street": street, "date_from": start, "date_to": end}
    categories = _ranked(metrics.compute(reader, group_by="category", **period), TOP_CATEGORIES)
    units = _ranked(metrics.compute(reader, group_by="unit", **period), TOP_RANKED)
    grids = _ranked(metrics.compute(reader, group_by="grid", **period), TOP_RANKED)
    overdue = CaseFilterSet(
        {"street": street.code, "figure": "overdue_open"},
        Case.objects.restrict(reader, Action.VIEW),
        user=reader,
    ).checked()
    overdue_count = overdue.count()
    overdue_cases = list(
        overdue.select_related("category", "lead_unit", "grid").order_by("handling_due_at", "pk")[
            :OVERDUE_LISTED
        ]
    )
    intake = _intake(reader, street, start, end)
    period_names = (
        f"{start:%m-%d}–{end:%m-%d}",
        f"{before[0]:%m-%d}–{before[1]:%m-%d}",
    )
    inspection_period = oversight.Period(start, end)
    care_overdue = sum(overdue_by_area(reader, [street.pk], day=min(end, clock.today())).values())
    generated_at = clock.now()
    return {
        "street": street,
        "kind": kind,
        "title": TITLES.get(kind, ""),
        "start": start,
        "end": end,
        "previous_start": before[0],
        "previous_end": before[1],
        "generated_at": timezone.localtime(generated_at),
        "current": current,
        "previous": previous,
        "rates": rates,
        "rate_labels": [str(rate.label) for rate in RATES],
        "intake": intake,
        "categories": categories,
        "rankings": [(GROUP_LABELS["unit"], units), (GROUP_LABELS["grid"], grids)],
        "overdue_count": overdue_count,
        "overdue_cases": overdue_cases,
        "hotspots": _hotspots(reader, street, end),
        "plans": _plans(reader, street, start, end),
        "orders": oversight.orders(reader),
        "coverage": oversight.coverage(reader, inspection_period),
        "care_overdue": care_overdue,
        "charts": {
            "intake": charts.intake_by_channel(intake["days"], intake["series"]),
            "rates": charts.rates_vs_previous(
                [r["label"] for r in rates],
                [r["current"] for r in rates],
                [r["previous"] for r in rates],
                period_names,
            ),
            "categories": charts.top_categories(
                [c["name"] for c in categories], [c["total"] for c in categories]
            ),
        },
    }


def file_name(report: Report) -> str:
    """The download's name: 东街道-城运工作周报-2026-03-02至2026-03-08.pdf."""
    title = TITLES.get(report.kind, report.kind)
    return gettext("%(street)s-%(title)s-%(start)s至%(end)s.pdf") % {
        "street": report.street.name,
        "title": title,
        "start": report.period_start.isoformat(),
        "end": report.period_end.isoformat(),
    }


def content_disposition(report: Report, disposition: str = "attachment") -> str:
    """RFC 5987/6266: an ASCII name for old clients, the Chinese one (file_name) for the rest."""
    fallback = f"report-{report.street.code}-{report.kind}-{report.period_start:%Y%m%d}.pdf"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name(report))}"


def generate(street: Area, kind: str, day: date, reader: Any = None) -> Report | None:
    """Make (or make again) the street's report of `kind` for the period before `day`; read as
    `reader`, by default the street's leader. None when the street has no one to read as.
    One row per street, kind and period: a second run replaces the file."""
    reader = reader or reader_of(street)
    if reader is None:
        logger.warning("report %s of street %s skipped: no active leader or admin account", kind, street.code)
        return None
    start, end = report_period(kind, day)
    context = report_context(reader, street, start, end, kind)
    data = pdf.render("insights/report.html", context)
    with transaction.atomic():
        report, _created = Report.objects.select_for_update().get_or_create(
            street=street,
            kind=kind,
            period_start=start,
            defaults={"period_end": end, "generated_at": context["generated_at"]},
        )
        old = report.file.name if report.file else ""
        report.period_end = end
        report.generated_at = context["generated_at"]
        report.size = len(data)
        report.file.save(f"{kind}-{start:%Y%m%d}.pdf", ContentFile(data), save=False)
        report.save()
        if old and old != report.file.name:
            storage, stale = report.file.storage, old
            transaction.on_commit(lambda: storage.delete(stale))
    return report
