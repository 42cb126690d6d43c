"""From an election's ballot boxes to the count's input (`counting.Tally`), the status the
COUNT action leads to, and the offline audit's JSON of a stored count.

The ballot being voted is `Election.ballot_no` (its boxes have that `round_no`); the law's
round it is counted by is `Election.law_round` (1, or 2 for 另行选举); the seats it fills are
`Election.open_seats`, or all seats in the first ballot. Who may be voted for is `standing()`:
the slate (official candidates, and write-ins) until a valid count, then only the names that
count sent to the next ballot (its `second_round`: 另行选举 or a run-off)."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Sum

from civicgrid.core.errors import InvalidInput

from . import checks, counting
from .choices import ElectionStatus
from .counting import Outcome, Tally, count
from .models import BallotBox, BoxVotes, Count, Election

# Outcome codes (counting.Outcome.code) and where each leaves the election.
INVALID = frozenset({"invalid_turnout", "invalid_issued"})
ANOTHER_BALLOT = frozenset({"vacancies", "runoff"})
DONE = frozenset({"elected", "unfilled"})

_CACHE_ATTR = "_ballots_outcome"


def seats_to_fill(election: Election) -> int:
    return election.seats if election.open_seats is None else election.open_seats


def last_valid_count(election: Election) -> Count | None:
    return election.counts.filter(valid=True).order_by("-round_no", "-id").first()


def standing(election: Election) -> list[str] | None:
    """The names the ballot being voted may carry, or None while it is the first ballot (or its
    re-vote), where any name may be written in (另选他人)."""
    counted = last_valid_count(election)
    return None if counted is None else list(counted.second_round)


def _slate(election: Election) -> Iterable[str]:
    return checks.official_candidates(election).values_list("name", flat=True)


def tally_for(election: Election) -> Tally:
    """The count's input for the ballot being voted: the boxes' sums, every candidate standing
    (with 0 when no box gave them a vote) and the write-ins the boxes carry."""
    boxes = BallotBox.objects.filter(election=election, round_no=election.ballot_no)
    sums = boxes.aggregate(issued=Sum("issued"), cast=Sum("cast"), invalid=Sum("invalid"))
    names = standing(election)
    votes: dict[str, int] = dict.fromkeys(_slate(election) if names is None else names, 0)
    rows = (
        BoxVotes.objects.filter(box__in=boxes)
        .values_list("candidate__name")
        .annotate(total=Sum("votes"))
        .order_by()
    )
    for name, total in rows:
        votes[name] = votes.get(name, 0) + total
    return Tally(
        method=election.method,
        round=election.law_round,
        registered=checks.electorate(election).count(),
        ballots_cast=sums["cast"] or 0,
        invalid_ballots=sums["invalid"] or 0,
        seats=seats_to_fill(election),
        votes=votes,
        ballots_issued=sums["issued"] or 0,
    )


def counted(election: Election) -> tuple[Tally, Outcome]:
    """The tally and the outcome of the ballot being voted, computed once per version of the
    election object: the machine asks for the COUNT's target before the body runs, on the
    same locked object, and the body stores what the target was decided on."""
    key = (election.pk, election.version, election.ballot_no)
    cached = getattr(election, _CACHE_ATTR, None)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    tally = tally_for(election)
    outcome = count(tally, election.round.rules())
    setattr(election, _CACHE_ATTR, (key, tally, outcome))
    return tally, outcome


def status_after_count(election: Election) -> str:
    """COUNT's target: an invalid ballot leaves the election where it is (the ballot is voted
    again), vacancies or a tie at the last seat lead to another ballot, else it is counted."""
    _tally, outcome = counted(election)
    if outcome.code in INVALID:
        return election.status
    if outcome.code in ANOTHER_BALLOT:
        return ElectionStatus.SECOND_ROUND
    return ElectionStatus.COUNTED


def tally_json(stored: Count) -> dict[str, Any]:
    """The stored count as the JSON `manage.py count_election` reads, so an audit recomputes
    it offline with the rules it applied."""
    election = stored.election
    return {
        "method": election.method,
        "round": stored.law_round,
        "registered": stored.registered,
        "ballots_cast": stored.ballots_cast,
        "ballots_issued": stored.ballots_issued,
        "invalid_ballots": stored.invalid_ballots,
        "seats": stored.seats,
        "votes": dict(stored.votes),
        "rules": dict(stored.rules),
    }


def reason_of(stored: Count) -> str:
    """The stored count's explanation in the reader's language: the count is pure, so it is
    run again on the stored inputs and rules (the `reason` column keeps the counter's words)."""
    try:
        recount, rules = counting.tally_from_json(tally_json(stored))
        return counting.count(recount, rules).reason
    except InvalidInput:  # rules no longer valid under today's bounds: the words as stored
        return stored.reason
