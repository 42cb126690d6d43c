"""Models of the elections app: rounds and elections with their timeline (`rounds`), the
register and what is filed against it (`voters`), candidates, ballot boxes, counts and the
members elected (`ballots`)."""

from .ballots import BallotBox, BoxVotes, Candidate, Count, Member
from .rounds import Election, ElectionRound, Milestone, RuleOverride
from .voters import Mailing, Objection, Proxy, ResidentsGroup, Voter

__all__ = [
    "BallotBox",
    "BoxVotes",
    "Candidate",
    "Count",
    "Election",
    "ElectionRound",
    "Mailing",
    "Member",
    "Milestone",
    "Objection",
    "Proxy",
    "ResidentsGroup",
    "RuleOverride",
    "Voter",
]
