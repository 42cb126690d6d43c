"""An election round for tests: in a street of `build_world()`, the round (election day
`day`) with one election per residential area through `actions.rounds.create_round`, and in
the cadre's committee (the first area) a residents' group, three voters, an objection, two
candidates, a ballot box with its votes, a count and a member — rows written directly, each
part's own actions are tested on their own."""

from dataclasses import dataclass, field
from datetime import date

from civicgrid.core.choices import Role
from civicgrid.elections.actions.rounds import create_round
from civicgrid.elections.choices import BoxKind, CandidateStatus, ObjectionKind, Position
from civicgrid.elections.models import (
    BallotBox,
    BoxVotes,
    Candidate,
    Count,
    Election,
    ElectionRound,
    Member,
    Objection,
    ResidentsGroup,
    Voter,
)

from .factories import StreetWorld


@dataclass
class ElectionSet:
    round: ElectionRound
    elections: list[Election]
    group: ResidentsGroup
    voters: list[Voter] = field(default_factory=list)
    objection: Objection | None = None
    candidates: list[Candidate] = field(default_factory=list)
    box: BallotBox | None = None
    count: Count | None = None
    member: Member | None = None

    @property
    def election(self) -> Election:
        """The cadre's committee's election."""
        return self.elections[0]


def build_elections(
    world: StreetWorld, *, day: date = date(2027, 8, 20), mark: str = "", seats: int = 5
) -> ElectionSet:
    admin = world.users[Role.ADMIN]
    election_round = create_round(
        admin,
        street=world.street,
        name=f"{day.year} 换届{mark}",
        year=day.year,
        election_day=day,
        seats=seats,
    )
    elections = list(election_round.elections.order_by("area__code"))
    election = elections[0]
    street_id = election.street_id
    group = ResidentsGroup.objects.create(
        election=election, street_id=street_id, number=1, name=f"第一居民小组{mark}"
    )
    out = ElectionSet(round=election_round, elections=elections, group=group)
    for i, (name, sex, born) in enumerate(
        (
            ("周选民", "M", date(1960, 1, 2)),
            ("吴选民", "F", date(1985, 7, 9)),
            ("郑选民", "M", date(2001, 3, 3)),
        )
    ):
        out.voters.append(
            Voter.objects.create(
                election=election,
                street_id=street_id,
                group=group,
                name=f"{name}{mark}",
                sex=sex,
                birth_date=born,
                is_household_rep=i < 2,
                is_group_rep=i == 0,
            )
        )
    out.objection = Objection.objects.create(
        election=election,
        street_id=street_id,
        kind=ObjectionKind.OMITTED,
        filed_on=day.replace(day=1),
        filer_name=f"钱申诉{mark}",
        subject_name=f"钱申诉{mark}",
        statement=f"本人户籍在本居民区，未列入名单{mark}",
    )
    for name, position in ((f"冯候选{mark}", Position.CHAIR), (f"陈候选{mark}", Position.MEMBER)):
        out.candidates.append(
            Candidate.objects.create(
                election=election,
                street_id=street_id,
                name=name,
                position=position,
                status=CandidateStatus.OFFICIAL,
            )
        )
    out.box = BallotBox.objects.create(
        election=election,
        street_id=street_id,
        kind=BoxKind.HALL,
        name=f"中心会场{mark}",
        issued=3,
        cast=3,
        invalid=0,
    )
    for candidate, votes in zip(out.candidates, (3, 1), strict=True):
        BoxVotes.objects.create(box=out.box, candidate=candidate, votes=votes)
    out.count = Count.objects.create(
        election=election,
        street_id=street_id,
        round_no=1,
        registered=3,
        ballots_issued=3,
        ballots_cast=3,
        invalid_ballots=0,
        seats=seats,
        votes={c.name: v for c, v in zip(out.candidates, (3, 1), strict=True)},
        rules=election_round.rules().as_json(),
        valid=True,
        turnout=1,
        elected=[out.candidates[0].name],
        vacancies=seats - 1,
        second_round=[out.candidates[1].name],
        outcome="vacancies",
        reason=f"计票说明{mark}",
    )
    out.member = Member.objects.create(
        election=election,
        street_id=street_id,
        candidate=out.candidates[0],
        position=Position.CHAIR,
        votes=3,
        round_no=1,
    )
    return out
