"""What the volunteer pages, API, dashboard panel and certificate read: sums of the hours
ledger (reversals included, so a reversed entry counts nothing) per person — this year and
all time —, per team and year (the team an entry was confirmed under), and the street's year
by month; and the certificate of a volunteer's year (志愿服务时长证明, a PDF through core.pdf:
name, number, team, the year's entries and total — no phone, no ID number). Plain reads of
the rows the caller found through restrict()."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear

from civicgrid.core import clock, pdf

from .models import HoursEntry, Team, Volunteer

ZERO = Decimal("0.0")


def total(entries: QuerySet[HoursEntry]) -> Decimal:
    return entries.aggregate(n=Coalesce(Sum("hours"), Value(ZERO)))["n"]  # type: ignore[no-any-return]


def _sum(condition: Q | None = None) -> Coalesce:
    return Coalesce(Sum("hours__hours", filter=condition), Value(ZERO), output_field=DecimalField())


def with_totals(volunteers: QuerySet[Volunteer], entries: QuerySet[HoursEntry], year: int) -> Any:
    """Each volunteer with `year_hours` and `all_hours`, summed over `entries` (the ledger
    rows the reader may see)."""
    seen = Q(hours__in=entries.values("pk"))
    return volunteers.annotate(year_hours=_sum(seen & Q(hours__served_on__year=year)), all_hours=_sum(seen))


@dataclass
class PersonTotals:
    year: int
    this_year: Decimal
    all_time: Decimal
    years: list[tuple[int, Decimal]]  # every year with entries, newest first


def person_totals(volunteer: Volunteer, entries: QuerySet[HoursEntry]) -> PersonTotals:
    mine = entries.filter(volunteer=volunteer)
    years = [
        (row["year"], row["n"])
        for row in mine.annotate(year=ExtractYear("served_on"))
        .values("year")
        .annotate(n=Sum("hours"))
        .order_by("-year")
    ]
    year = clock.today().year
    return PersonTotals(
        year=year,
        this_year=next((n for y, n in years if y == year), ZERO),
        all_time=sum((n for _, n in years), ZERO),
        years=years,
    )


def team_years(team: Team, entries: QuerySet[HoursEntry]) -> list[Any]:
    """The team's hours per year (the entries confirmed while a member was in it) and how many
    volunteers they came from, newest first."""
    return list(
        entries.filter(team=team)
        .annotate(year=ExtractYear("served_on"))
        .values("year")
        .annotate(hours=Sum("hours"), people=Count("volunteer", distinct=True))
        .order_by("-year")
    )


def team_year_hours(entries: QuerySet[HoursEntry], year: int) -> dict[int, Decimal]:
    """Each team's hours of the year, by team id."""
    rows = (
        entries.filter(served_on__year=year, team__isnull=False).values_list("team").annotate(n=Sum("hours"))
    )
    return dict(rows.values_list("team", "n"))


def top_teams(entries: QuerySet[HoursEntry], year: int, limit: int = 5) -> list[Any]:
    """The year's teams by hours (entries with no team left out)."""
    return list(
        entries.filter(served_on__year=year, team__isnull=False)
        .values("team", "team__name")
        .annotate(hours=Sum("hours"))
        .filter(hours__gt=0)
        .order_by("-hours", "team__name")[:limit]
    )


def months(entries: QuerySet[HoursEntry], year: int) -> list[tuple[int, Decimal]]:
    """The street's (the reader's) year by month: twelve (month, hours) pairs."""
    sums = dict(
        entries.filter(served_on__year=year)
        .annotate(month=ExtractMonth("served_on"))
        .values_list("month")
        .annotate(n=Sum("hours"))
        .values_list("month", "n")
    )
    return [(month, sums.get(month, ZERO)) for month in range(1, 13)]


def ledger(volunteer: Volunteer, entries: QuerySet[HoursEntry]) -> list[tuple[Any, Decimal]]:
    """The volunteer's entries in the order they count, each with the running total."""
    rows = (
        entries.filter(volunteer=volunteer)
        .select_related("team", "activity", "confirmed_by", "reverses")
        .annotate(reversed_count=Count("reversed_by"))
        .order_by("served_on", "pk")
    )
    running, out = ZERO, list[tuple[Any, Decimal]]()
    for entry in rows:
        running += entry.hours
        out.append((entry, running))
    return out


@dataclass
class Certificate:
    volunteer: Volunteer
    year: int
    entries: list[HoursEntry]
    total: Decimal
    street: Any
    issued_on: date


def certificate(volunteer: Volunteer, year: int, entries: QuerySet[HoursEntry]) -> Certificate:
    """The year's ledger of the volunteer (reversals included, so a corrected entry shows with
    its correction)."""
    rows = list(
        entries.filter(volunteer=volunteer, served_on__year=year)
        .select_related("activity")
        .order_by("served_on", "pk")
    )
    return Certificate(
        volunteer=volunteer,
        year=year,
        entries=rows,
        total=sum((e.hours for e in rows), ZERO),
        street=volunteer.street,
        issued_on=clock.today(),
    )


def certificate_pdf(sheet: Certificate) -> bytes:
    return pdf.render("community/volunteers/print/certificate.html", {"sheet": sheet})
