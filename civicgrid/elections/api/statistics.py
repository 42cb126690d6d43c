"""/api/v1/elections/ — a round's statistics (换届选举统计): the figures of
`statistics.street_statistics` for the street's office and its leaders
(`elections.statistics`). Shares are given as part, whole and rate (none when the whole is 0)."""

from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from civicgrid.core import capabilities
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden
from civicgrid.core.rest import READ_ERRORS, AreaRef, get_by_id

from ..choices import ElectionStatus, Method
from ..models import ElectionRound
from ..statistics import street_statistics

router = Router()


class ShareOut(Schema):
    part: int
    whole: int
    rate: float | None = Field(description="part/whole，四位小数；分母为 0 时为空")


class MembersOut(Schema):
    total: int
    by_age: dict[str, int] = Field(description="选举日年龄：under_35、35_44、45_54、55_plus（及 unknown）")
    by_sex: dict[str, int] = Field(description="male、female（及 unknown）")
    women: ShareOut


class MailingsOut(Schema):
    letters: int = Field(description="告居民书发放份数")
    notices: int = Field(description="选举通知书发放份数")
    receipts: int = Field(description="收回回执份数")
    receipt_rate: ShareOut


class ContestedOut(Schema):
    candidates: int
    seats: int
    ratio: float | None = Field(description="正式候选人/应选名额，只计已有正式候选人的居委会")


class RoundRef(Schema):
    id: int
    name: str
    year: int
    election_day: date
    street: AreaRef


class CommitteeOut(Schema):
    election: int
    area: AreaRef
    method: Method
    status: ElectionStatus
    election_day: date
    seats: int
    electorate: int = Field(description="按选举方式计的当前登记人数（选民、户代表或居民代表）")
    registered: int | None = Field(description="首次有效计票的登记人数")
    ballots_cast: int | None
    turnout: ShareOut | None
    official_candidates: int
    contested_ratio: float | None
    members: MembersOut
    mailings: MailingsOut


class StatisticsOut(Schema):
    round: RoundRef
    committees_total: int
    by_method: dict[str, int]
    direct: int = Field(description="直接选举（全体选民、户代表）的居委会数")
    indirect: int = Field(description="居民代表选举的居委会数")
    by_status: dict[str, int]
    turnout: ShareOut = Field(description="有效计票的投票人数/登记人数")
    contested: ContestedOut
    members: MembersOut
    mailings: MailingsOut
    committees: list[CommitteeOut]


@router.get(
    "/rounds/{round_id}/statistics",
    response={200: StatisticsOut, **READ_ERRORS},
    summary="换届选举统计",
    operation_id="elections_round_statistics",
)
def round_statistics(request: Any, round_id: int) -> dict[str, Any]:
    """各居委会的选举方式、进度、参选率、差额比例、当选成员年龄与性别、告居民书与通知书回执。"""
    if not capabilities.may(request.auth, "elections.statistics"):
        raise Forbidden(_("你的角色不能查看换届选举统计"))
    rounds = ElectionRound.objects.restrict(request.auth, Action.VIEW).select_related("street")
    return street_statistics(request.auth, get_by_id(rounds, round_id)).as_json()
