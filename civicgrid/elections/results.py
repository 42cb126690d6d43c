"""What the ballots and counts of an election say, for the pages and the printed documents:
turnout by ballot box, and the two A4 PDFs through core.pdf — the results announcement
(选举结果公告) posted in the committee's area and the report to the district (选举结果报告单).
The announcement names the elected with position and votes; the report adds their sex and
age on election day. No ID number or phone is ever printed. Printing writes nothing."""

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from civicgrid.core import clock, pdf
from civicgrid.core.choices import Action
from civicgrid.residents.choices import Sex

from . import checks, tally
from .models import BallotBox, Count, Election, Member

# Registry codes (residents.Sex) and GB/T 2261.1 codes both occur on candidates.
SEX_LABELS = {
    Sex.MALE: Sex.MALE.label,
    "1": Sex.MALE.label,
    Sex.FEMALE: Sex.FEMALE.label,
    "2": Sex.FEMALE.label,
}


def percent(share: Any) -> str:
    """A share as people read it: "53.3%" (— when there is nothing to divide by)."""
    if share is None:
        return "—"
    return f"{float(share) * 100:.1f}%"


@dataclass
class BoxLine:
    box: BallotBox
    share: Fraction | None  # cast / the electorate

    @property
    def percent(self) -> str:
        return percent(self.share)


@dataclass
class Ballot:
    number: int
    boxes: list[BoxLine]
    issued: int
    cast: int
    invalid: int
    share: Fraction | None
    count: Count | None

    @property
    def percent(self) -> str:
        return percent(self.share)

    @property
    def reason(self) -> str:
        return tally.reason_of(self.count) if self.count is not None else ""

    @property
    def turnout(self) -> str:
        return percent(self.count.turnout) if self.count is not None else "—"


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def ballots(election: Election, boxes: list[BallotBox], counts: list[Count]) -> list[Ballot]:
    """Each ballot's boxes (rows the caller found in the reader's scope) with their share of
    the electorate, the sums, and its count if counted; the ballot being voted last."""
    registered = checks.electorate(election).count()
    by_number: dict[int, list[BallotBox]] = {}
    for box in boxes:
        by_number.setdefault(box.round_no, []).append(box)
    counted = {c.round_no: c for c in counts}
    numbers = sorted(set(by_number) | set(counted) | {election.ballot_no})
    out = []
    for number in numbers:
        rows = by_number.get(number, [])
        stored = counted.get(number)
        base = stored.registered if stored is not None else registered
        cast = sum(b.cast for b in rows)
        out.append(
            Ballot(
                number=number,
                boxes=[BoxLine(b, _share(b.cast, base)) for b in rows],
                issued=sum(b.issued for b in rows),
                cast=cast,
                invalid=sum(b.invalid for b in rows),
                share=_share(cast, base),
                count=stored,
            )
        )
    return out


def rows_of(user: Any, election: Election) -> tuple[list[BallotBox], list[Count], list[Member]]:
    """The election's ballot boxes (with their votes), counts and members elected that `user`
    may read: what the ballots page, the API and both printed forms show."""
    boxes = list(
        BallotBox.objects.restrict(user, Action.VIEW)
        .filter(election=election)
        .prefetch_related("votes__candidate")
        .order_by("round_no", "id")
    )
    counts = list(
        Count.objects.restrict(user, Action.VIEW)
        .filter(election=election)
        .select_related("election")
        .order_by("round_no")
    )
    members = list(
        Member.objects.restrict(user, Action.VIEW)
        .filter(election=election)
        .select_related("candidate")
        .order_by("round_no", "-votes", "id")
    )
    return boxes, counts, members


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _members(election: Election, members: list[Member]) -> list[dict[str, Any]]:
    return [
        {
            "member": m,
            "name": m.candidate.name,
            "sex": SEX_LABELS.get(m.candidate.sex, ""),
            "age": age_on(m.candidate.birth_date, election.election_day),
            "write_in": m.candidate.is_write_in,
        }
        for m in members
    ]


def _context(
    election: Election, boxes: list[BallotBox], counts: list[Count], members: list[Member]
) -> dict[str, Any]:
    first = counts[0] if counts else None
    return {
        "election": election,
        "round": election.round,
        "street": election.street,
        "area": election.area,
        "ballots": [b for b in ballots(election, boxes, counts) if b.count is not None],
        "counts": counts,
        "first": first,
        "last": counts[-1] if counts else None,
        "members": _members(election, members),
        "vacancies": election.seats - len(members),
        "printed_at": clock.localtime(),
    }


def announcement(
    election: Election, boxes: list[BallotBox], counts: list[Count], members: list[Member]
) -> bytes:
    """选举结果公告 of `election` from its rows (each found through restrict() by the caller)."""
    return pdf.render("elections/print/results.html", _context(election, boxes, counts, members))


def district_report(
    election: Election, boxes: list[BallotBox], counts: list[Count], members: list[Member]
) -> bytes:
    """选举结果报告单 to the district, from the same rows."""
    return pdf.render("elections/print/district_report.html", _context(election, boxes, counts, members))
