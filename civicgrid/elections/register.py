"""Who the residents registry puts on an election's register (选民登记), and ages on election day.

Eligible are the persons of households living now (`Household.moved_out` empty) in flats of
buildings whose `residential_area` is the election's area, of voting age ON election day, whose
residence status gives a basis (`BASIS_OF_RESIDENCE`):

- 户籍（人户一致） and 人户分离（户在人不在）: their 户籍 is here → `Basis.REGISTERED` (one who
  lives elsewhere still votes here, in person or by proxy);
- 常住 (living here, 户籍 elsewhere, as the registry records long-term residents) →
  `Basis.RESIDENT`;
- 人户分离（人在户不在）, 流动人口 and 外出: not listed by the registry — the law lists a
  resident without 户籍 only on their own application, which the committee records as an
  addition (`actions.voters.add_voter`, basis RESIDENT); deceased persons never.

Age is the legal 周岁: N years are reached on the Nth birthday, so a person is of age when born
on or before election day N years earlier. A birthday of 29 February is reached on 1 March in a
year without one (the day before, 28 February, they are not yet of age); an election held on
29 February counts those born up to 28 February N years earlier when that year has no 29th.
"""

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext

from civicgrid.residents.choices import ResidenceStatus
from civicgrid.residents.models import Person

from .checks import electorate
from .choices import Basis, MailingKind, VoterStatus

BASIS_OF_RESIDENCE: dict[str, str] = {
    ResidenceStatus.REGISTERED: Basis.REGISTERED,
    ResidenceStatus.REGISTERED_AWAY: Basis.REGISTERED,
    ResidenceStatus.RESIDENT: Basis.RESIDENT,
}


def age_on(birth_date: date, day: date) -> int:
    """Full years (周岁) on `day`: the birthday of this year counts once reached."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def latest_birth_date(day: date, years: int) -> date:
    """The last birth date of a person who is `years` old on `day`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, N years back in a year without one
        return date(day.year - years, 2, 28)


def eligible_persons(election: Any) -> QuerySet[Person]:
    """The registry's persons the election lists, with their household and flat (one query)."""
    rules = election.round.rules()
    return (
        Person.objects.filter(
            household__isnull=False,
            household__moved_out__isnull=True,
            household__flat__building__residential_area_id=election.area_id,
            birth_date__lte=latest_birth_date(election.election_day, rules.voting_age),
            residence__in=list(BASIS_OF_RESIDENCE),
        )
        .select_related("household__flat")
        .order_by("household__flat__building_id", "household__flat__room", "household_id", "id")
    )


def building_ids(text: str) -> list[int]:
    """A group's range (`ResidentsGroup.buildings`): building ids separated by commas, spaces
    or 、, in the order given, each once. ValueError for anything else."""
    out: list[int] = []
    for part in text.replace("、", ",").replace("，", ",").replace(" ", ",").split(","):
        if part.strip():
            value = int(part.strip())
            if value < 1:
                raise ValueError(part)
            if value not in out:
                out.append(value)
    return out


def ineligibility(person: Person | None, election: Any, rules: Any) -> str:
    """Why a person the register listed is no longer eligible (the strike's reason)."""
    if person is None:
        return gettext("已从实有人口登记中删除")
    if person.residence == ResidenceStatus.DECEASED:
        return gettext("已死亡")
    household = person.household
    if household is None or household.moved_out is not None:
        return gettext("已迁出")
    if household.flat.building.residential_area_id != election.area_id:
        return gettext("已不在本居住地区居住")
    if person.residence not in BASIS_OF_RESIDENCE:
        return gettext("居住状态为“%s”，不符合登记条件") % person.get_residence_display()
    return gettext("选举日未满 %d 周岁") % rules.voting_age


def objection_deadline(published: date, rules: Any) -> date:
    """The last day to file an objection: the rules' objection_days from publication."""
    return published + timedelta(days=rules.objection_days)


def decision_due(filed_on: date, rules: Any) -> date:
    """The last day to decide an objection filed on `filed_on`."""
    return filed_on + timedelta(days=rules.objection_decision_days)


def is_late(objection: Any, rules: Any, today: date) -> bool:
    """Decided (or, pending, still undecided) after its decision was due."""
    return (objection.decided_on or today) > decision_due(objection.filed_on, rules)


def counts(election: Any) -> dict[str, Any]:
    """The register's figures for the top of its pages: listed by basis, struck, the
    representatives and the electorate the method counts (a few aggregate queries)."""
    listed = election.voters.filter(status=VoterStatus.LISTED)
    by_basis = dict(listed.values_list("basis").annotate(n=Count("id")).values_list("basis", "n"))
    reps = listed.aggregate(
        household=Count("id", filter=Q(is_household_rep=True)),
        group=Count("id", filter=Q(is_group_rep=True)),
        total=Count("id"),
    )
    return {
        "listed": reps["total"],
        "by_basis": [(label, by_basis.get(value, 0)) for value, label in Basis.choices],
        "struck": election.voters.filter(status=VoterStatus.STRUCK).count(),
        "household_reps": reps["household"],
        "group_reps": reps["group"],
        "electorate": electorate(election).count(),
    }


def mailing_totals(mailings: Any) -> list[dict[str, Any]]:
    """Sent and receipts per kind (告居民书, 选举通知书) of the given mailings."""
    sums = {
        row["kind"]: row
        for row in mailings.values("kind").annotate(sent_total=Sum("sent"), receipts_total=Sum("receipts"))
    }
    return [
        {
            "kind": value,
            "label": label,
            "sent": (sums.get(value) or {}).get("sent_total") or 0,
            "receipts": (sums.get(value) or {}).get("receipts_total") or 0,
        }
        for value, label in MailingKind.choices
    ]


def filter_voters(
    voters: Any, *, group: Any = None, status: str = "", rep: str = "", basis: str = "", q: str = ""
) -> Any:
    """The register's filters, for its page and its API alike: `group` an id or "none" (no
    group), `rep` "household" / "group" / "any", `q` part of a name."""
    if group == "none":
        voters = voters.filter(group__isnull=True)
    elif group not in (None, ""):
        voters = voters.filter(group_id=group)
    if status:
        voters = voters.filter(status=status)
    if rep == "household":
        voters = voters.filter(is_household_rep=True)
    elif rep == "group":
        voters = voters.filter(is_group_rep=True)
    elif rep == "any":
        voters = voters.filter(Q(is_household_rep=True) | Q(is_group_rep=True))
    if basis:
        voters = voters.filter(basis=basis)
    if q:
        voters = voters.filter(name__contains=q.strip())
    return voters
