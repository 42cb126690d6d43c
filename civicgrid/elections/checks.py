"""What the election machine's guards ask of an election's rows (workflow.py): the electorate
the method counts, the groups, pending objections, a contested slate, the boxes of the ballot
being voted. Each test is (election, user, params) -> bool, with its refusal beside it."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from .choices import CandidateStatus, Method, ObjectionStatus, VoterStatus

NO_GROUPS = _("尚未划分居民小组")
NO_ELECTORATE = _("尚无登记的选民（或户代表、居民代表）")
NO_BOXES = _("尚未录入本轮投票的票箱")


def electorate(election: Any) -> Any:
    """The voters the method counts as registered: every listed voter, the household
    representatives, or the residents' groups' representatives."""
    voters = election.voters.filter(status=VoterStatus.LISTED)
    if election.method == Method.HOUSEHOLD:
        return voters.filter(is_household_rep=True)
    if election.method == Method.REPRESENTATIVE:
        return voters.filter(is_group_rep=True)
    return voters


def has_groups(election: Any, user: Any, params: Any) -> bool:
    return election.groups.exists()


def has_electorate(election: Any, user: Any, params: Any) -> bool:
    return electorate(election).exists()


def objections_decided(election: Any, user: Any, params: Any) -> bool:
    return not election.objections.filter(status=ObjectionStatus.PENDING).exists()


def objections_pending(election: Any, user: Any, params: Any) -> str:
    pending = election.objections.filter(status=ObjectionStatus.PENDING).count()
    return _("还有 %d 件选民名单申诉未处理") % pending


def official_candidates(election: Any) -> Any:
    return election.candidates.filter(status=CandidateStatus.OFFICIAL, is_write_in=False)


def contested(election: Any, user: Any, params: Any) -> bool:
    return official_candidates(election).count() >= election.seats + election.round.rules().contest_margin


def not_contested(election: Any, user: Any, params: Any) -> str:
    margin = election.round.rules().contest_margin
    return _(
        "差额选举：正式候选人须至少 %(need)d 人（应选 %(seats)d 人，差额 %(margin)d 人），现有 %(have)d 人"
    ) % {
        "need": election.seats + margin,
        "seats": election.seats,
        "margin": margin,
        "have": official_candidates(election).count(),
    }


def has_boxes(election: Any, user: Any, params: Any) -> bool:
    return election.boxes.filter(round_no=election.ballot_no).exists()


def list_too_late(election: Any, user: Any, params: Any) -> str:
    days = election.round.rules().list_days_before
    return _("选民名单须在选举日（%(day)s）前至少 %(days)d 天公布；请先调整选举日") % {
        "day": election.election_day,
        "days": days,
    }


def candidates_too_late(election: Any, user: Any, params: Any) -> str:
    days = election.round.rules().candidates_days_before
    return _("正式候选人名单须在选举日（%(day)s）前至少 %(days)d 天公布；请先调整选举日") % {
        "day": election.election_day,
        "days": days,
    }


def before_voting_day(election: Any, user: Any, params: Any) -> str:
    return _("选举日（%s）尚未到，不能计票") % election.election_day
