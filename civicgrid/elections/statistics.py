"""The figures of a street's round of elections (issue 16 point 6, seed 001's 换届 report):
committees by method and by step, turnout, the contested ratio, the members elected by age
and sex, the letters and notices sent with the receipts returned — for the whole round and
per committee.

Everything is read in the reader's scope (`restrict()`) and in a fixed number of queries,
however many committees the round has: one per kind of row, grouped by election in the
database where a sum is enough, in Python for the members (a round elects at most a few
hundred)."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from django.db.models import Count as Counted
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from civicgrid.core.choices import Action
from civicgrid.residents.care import age_on

from .choices import DIRECT_METHODS, CandidateStatus, ElectionStatus, MailingKind, Method, VoterStatus
from .models import Candidate, Count, Election, ElectionRound, Mailing, Member, Voter

# Age on election day: (key, label, lowest age of the band); each band runs to the next.
AGE_BANDS: tuple[tuple[str, Any, int], ...] = (
    ("under_35", _("35岁以下"), 0),
    ("35_44", _("35–44岁"), 35),
    ("45_54", _("45–54岁"), 45),
    ("55_plus", _("55岁及以上"), 55),
)
UNKNOWN = "unknown"
UNKNOWN_LABEL = _("不详")

# The registry writes sex as M/F; a candidate or voter typed in by hand may carry the national
# standard's codes (GB/T 2261.1: 1 male, 2 female).
MALE, FEMALE = "male", "female"
SEX_OF = {"M": MALE, "1": MALE, "F": FEMALE, "2": FEMALE}
SEX_LABELS = {MALE: _("男"), FEMALE: _("女"), UNKNOWN: UNKNOWN_LABEL}


@dataclass(frozen=True)
class Share:
    """`part` of `whole`, exact; no rate when the whole is zero."""

    part: int
    whole: int

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.part, self.whole) if self.whole else None

    @property
    def percent(self) -> str:
        rate = self.rate
        return "—" if rate is None else f"{float(rate) * 100:.1f}%"

    @property
    def value(self) -> float | None:
        """The rate for display (`floatformat`); figures are compared on `rate`."""
        rate = self.rate
        return None if rate is None else float(rate)

    def as_json(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "part": self.part,
            "whole": self.whole,
            "rate": None if rate is None else round(float(rate), 4),
        }


@dataclass
class Mailings:
    letters: int = 0
    notices: int = 0
    receipts: int = 0

    @property
    def receipt_rate(self) -> Share:
        """Receipts come back with the notices (选举通知书和回执), not the letters."""
        return Share(self.receipts, self.notices)

    def as_json(self) -> dict[str, Any]:
        return {
            "letters": self.letters,
            "notices": self.notices,
            "receipts": self.receipts,
            "receipt_rate": self.receipt_rate.as_json(),
        }


@dataclass
class Members:
    """The members elected, counted by age band on their election's day and by sex."""

    by_age: Counter[str] = field(default_factory=Counter)
    by_sex: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_sex.values())

    @property
    def women(self) -> Share:
        return Share(self.by_sex[FEMALE], self.total)

    def add(self, birth_date: date | None, sex: str, day: date) -> None:
        self.by_age[age_band(age_on(birth_date, day))] += 1
        self.by_sex[SEX_OF.get(sex, UNKNOWN)] += 1

    def age_rows(self) -> list[tuple[str, Any, int]]:
        rows = [(key, label, self.by_age[key]) for key, label, _lowest in AGE_BANDS]
        if self.by_age[UNKNOWN]:
            rows.append((UNKNOWN, UNKNOWN_LABEL, self.by_age[UNKNOWN]))
        return rows

    def sex_rows(self) -> list[tuple[str, Any, int]]:
        rows = [(key, SEX_LABELS[key], self.by_sex[key]) for key in (MALE, FEMALE)]
        if self.by_sex[UNKNOWN]:
            rows.append((UNKNOWN, UNKNOWN_LABEL, self.by_sex[UNKNOWN]))
        return rows

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_age": {key: n for key, _label, n in self.age_rows()},
            "by_sex": {key: n for key, _label, n in self.sex_rows()},
            "women": self.women.as_json(),
        }


def age_band(age: int | None) -> str:
    if age is None:
        return UNKNOWN
    found = UNKNOWN
    for key, _label, lowest in AGE_BANDS:
        if age >= lowest:
            found = key
    return found


@dataclass
class Committee:
    """One committee's election in the round."""

    election: Election
    electorate: int  # the voters its method counts, as the register stands
    official_candidates: int
    registered: int | None = None  # of the counted ballot, when a valid count exists
    ballots_cast: int | None = None
    members: Members = field(default_factory=Members)
    mailings: Mailings = field(default_factory=Mailings)

    @property
    def turnout(self) -> Share | None:
        if self.registered is None or self.ballots_cast is None:
            return None
        return Share(self.ballots_cast, self.registered)

    @property
    def contested(self) -> Share | None:
        """Official candidates per seat (差额比例); none before the candidates are known."""
        if not self.official_candidates:
            return None
        return Share(self.official_candidates, self.election.seats)

    def as_json(self) -> dict[str, Any]:
        election = self.election
        turnout = self.turnout
        contested = self.contested
        return {
            "election": election.pk,
            "area": {"code": election.area.code, "name": election.area.name},
            "method": election.method,
            "status": election.status,
            "election_day": election.election_day,
            "seats": election.seats,
            "electorate": self.electorate,
            "registered": self.registered,
            "ballots_cast": self.ballots_cast,
            "turnout": None if turnout is None else turnout.as_json(),
            "official_candidates": self.official_candidates,
            "contested_ratio": None if contested is None else contested.as_json()["rate"],
            "members": self.members.as_json(),
            "mailings": self.mailings.as_json(),
        }


@dataclass
class RoundStatistics:
    round: ElectionRound
    committees: list[Committee]

    @property
    def by_method(self) -> dict[str, int]:
        counted = Counter(c.election.method for c in self.committees)
        return {method: counted[method] for method in Method.values}

    @property
    def direct(self) -> int:
        """直选 as seed 001 counts it: by all voters or by household representatives."""
        return sum(n for method, n in self.by_method.items() if method in DIRECT_METHODS)

    @property
    def indirect(self) -> int:
        return self.by_method[Method.REPRESENTATIVE]

    def method_rows(self) -> list[tuple[str, Any, int]]:
        return [(m.value, m.label, self.by_method[m.value]) for m in Method]

    @property
    def by_status(self) -> dict[str, int]:
        counted = Counter(c.election.status for c in self.committees)
        return {status: counted[status] for status in ElectionStatus.values}

    def status_rows(self) -> list[tuple[str, Any, int]]:
        """The steps some committee is at, in the statutory order."""
        by_status = self.by_status
        return [(s.value, s.label, by_status[s.value]) for s in ElectionStatus if by_status[s.value]]

    @property
    def turnout(self) -> Share:
        """Ballots cast over the registered electorate, over the committees with a valid count."""
        counted = [c for c in self.committees if c.turnout is not None]
        return Share(sum(c.ballots_cast or 0 for c in counted), sum(c.registered or 0 for c in counted))

    @property
    def contested(self) -> Share:
        """Official candidates over seats, over the committees whose candidates are known."""
        known = [c for c in self.committees if c.official_candidates]
        return Share(sum(c.official_candidates for c in known), sum(c.election.seats for c in known))

    @property
    def members(self) -> Members:
        total = Members()
        for c in self.committees:
            total.by_age.update(c.members.by_age)
            total.by_sex.update(c.members.by_sex)
        return total

    @property
    def mailings(self) -> Mailings:
        return Mailings(
            letters=sum(c.mailings.letters for c in self.committees),
            notices=sum(c.mailings.notices for c in self.committees),
            receipts=sum(c.mailings.receipts for c in self.committees),
        )

    def as_json(self) -> dict[str, Any]:
        turnout, contested = self.turnout, self.contested
        return {
            "round": {
                "id": self.round.pk,
                "name": self.round.name,
                "year": self.round.year,
                "election_day": self.round.election_day,
                "street": {"code": self.round.street.code, "name": self.round.street.name},
            },
            "committees_total": len(self.committees),
            "by_method": self.by_method,
            "direct": self.direct,
            "indirect": self.indirect,
            "by_status": self.by_status,
            "turnout": turnout.as_json(),
            "contested": {
                "candidates": contested.part,
                "seats": contested.whole,
                "ratio": contested.as_json()["rate"],
            },
            "members": self.members.as_json(),
            "mailings": self.mailings.as_json(),
            "committees": [c.as_json() for c in self.committees],
        }


def street_statistics(user: Any, election_round: ElectionRound) -> RoundStatistics:
    """The round's figures as `user` may see them (a cadre: their own committee only; the
    pages and the API ask `elections.statistics` first). Six queries, whatever the size."""
    elections = list(
        Election.objects.restrict(user, Action.VIEW)
        .filter(round=election_round)
        .select_related("area")
        .order_by("area__code")
    )
    committees = {e.pk: Committee(election=e, electorate=0, official_candidates=0) for e in elections}
    if committees:
        for add in (_electorates, _candidates, _turnouts, _members, _mailings):
            add(user, committees)
    return RoundStatistics(round=election_round, committees=list(committees.values()))


Committees = dict[int, Committee]


def _electorates(user: Any, committees: Committees) -> None:
    """The electorate each method counts (checks.electorate), for every election at once."""
    listed = Q(status=VoterStatus.LISTED)
    rows = (
        Voter.objects.restrict(user, Action.VIEW)
        .filter(election_id__in=list(committees))
        .values("election_id")
        .annotate(
            everyone=Counted("pk", filter=listed),
            households=Counted("pk", filter=listed & Q(is_household_rep=True)),
            groups=Counted("pk", filter=listed & Q(is_group_rep=True)),
        )
        .order_by()
    )
    for row in rows:
        committee = committees[row["election_id"]]
        by_method: dict[str, int] = {
            Method.HOUSEHOLD: row["households"],
            Method.REPRESENTATIVE: row["groups"],
        }
        committee.electorate = by_method.get(committee.election.method, row["everyone"])


def _candidates(user: Any, committees: Committees) -> None:
    rows = (
        Candidate.objects.restrict(user, Action.VIEW)
        .filter(election_id__in=list(committees), status=CandidateStatus.OFFICIAL, is_write_in=False)
        .values("election_id")
        .annotate(n=Counted("pk"))
        .order_by()
    )
    for row in rows:
        committees[row["election_id"]].official_candidates = row["n"]


def _turnouts(user: Any, committees: Committees) -> None:
    """An election's turnout is that of its first valid ballot: a 另行选举 after it is voted
    for the vacant seats only and says nothing new about turnout."""
    counts = (
        Count.objects.restrict(user, Action.VIEW)
        .filter(election_id__in=list(committees), valid=True)
        .order_by("election_id", "round_no", "id")
        .only("election_id", "registered", "ballots_cast")
    )
    for count in counts:
        committee = committees[count.election_id]
        if committee.registered is None:
            committee.registered, committee.ballots_cast = count.registered, count.ballots_cast


def _members(user: Any, committees: Committees) -> None:
    """Birth date and sex as the candidate was nominated, else as the register has them."""
    members = (
        Member.objects.restrict(user, Action.VIEW)
        .filter(election_id__in=list(committees))
        .select_related("candidate__voter")
        .only(
            "election_id",
            "candidate__birth_date",
            "candidate__sex",
            "candidate__voter__birth_date",
            "candidate__voter__sex",
        )
    )
    for member in members:
        committee = committees[member.election_id]
        candidate, voter = member.candidate, member.candidate.voter
        committee.members.add(
            candidate.birth_date or (voter.birth_date if voter else None),
            candidate.sex or (voter.sex if voter else ""),
            committee.election.election_day,
        )


def _mailings(user: Any, committees: Committees) -> None:
    rows = (
        Mailing.objects.restrict(user, Action.VIEW)
        .filter(election_id__in=list(committees))
        .values("election_id", "kind")
        .annotate(sent=Sum("sent"), receipts=Sum("receipts"))
        .order_by()
    )
    for row in rows:
        mailings = committees[row["election_id"]].mailings
        if row["kind"] == MailingKind.LETTER:
            mailings.letters += row["sent"]
        else:
            mailings.notices += row["sent"]
            mailings.receipts += row["receipts"]
