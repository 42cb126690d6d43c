"""What the welfare pages, API and dashboard panel read and print: an ask's claimed / delivered
/ remaining shares (the board's bars), a member unit's annual statement (年度公益认领清单) and
the two documents (认领确认书, the statement). Plain reads of rows the caller found through
restrict(); no personal data is printed."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from civicgrid.core import clock, pdf

from .choices import LIVE_CLAIMS, AskKind
from .models import Ask, Claim, MemberUnit


def percent(part: Decimal, whole: Decimal) -> int:
    return 0 if not whole else min(100, round(part * 100 / whole))


@dataclass
class Bar:
    ask: Ask
    claimed: int  # percent of the quantity
    delivered: int
    remaining: Decimal


def bar(ask: Ask) -> Bar:
    return Bar(
        ask=ask,
        claimed=percent(ask.claimed, ask.quantity),
        delivered=percent(ask.delivered, ask.quantity),
        remaining=ask.remaining,
    )


@dataclass
class Total:
    kind: str
    label: str
    unit: str
    claimed: Decimal = Decimal(0)
    delivered: Decimal = Decimal(0)


@dataclass
class Statement:
    member: MemberUnit
    year: int
    claims: list[Claim]
    totals: list[Total] = field(default_factory=list)


def statement(member: MemberUnit, year: int, claims: Any) -> Statement:
    """The member unit's claims of the year's welfare projects (`claims`: those the reader may
    see), oldest first, with the totals of its live claims per ask kind and unit."""
    rows = list(
        claims.filter(member=member, project__year=year)
        .select_related("ask", "project")
        .order_by("claimed_on", "pk")
    )
    totals: dict[tuple[str, str], Total] = defaultdict(lambda: Total("", "", ""))
    for claim in rows:
        if claim.status not in LIVE_CLAIMS:
            continue
        key = (claim.ask.kind, claim.ask.unit)
        total = totals[key]
        total.kind, total.label, total.unit = (
            claim.ask.kind,
            str(AskKind(claim.ask.kind).label),
            claim.ask.unit,
        )
        total.claimed += claim.quantity
        total.delivered += claim.delivered_quantity or 0
    order = list(AskKind.values)
    return Statement(
        member=member,
        year=year,
        claims=rows,
        totals=sorted(totals.values(), key=lambda t: (order.index(t.kind), t.unit)),
    )


def confirmation(claim: Claim) -> bytes:
    """认领确认书 of a confirmed claim: the street as letterhead (no phone)."""
    return pdf.render("programmes/print/claim.html", {"claim": claim, "street": claim.street})


def statement_pdf(sheet: Statement) -> bytes:
    return pdf.render(
        "programmes/print/statement.html", {"sheet": sheet, "member": sheet.member, "today": clock.today()}
    )
