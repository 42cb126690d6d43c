"""Named choices of the elections app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Method(models.TextChoices):
    """How a committee is elected (brief §6): all voters, one representative per household, or
    2–3 representatives per residents' group."""

    DIRECT = "direct", _("全体选民直接选举")
    HOUSEHOLD = "household", _("户代表选举")
    REPRESENTATIVE = "representative", _("居民代表选举")


DIRECT_METHODS = frozenset({Method.DIRECT, Method.HOUSEHOLD})  # seed 001's "直选" counts both


class ElectionStatus(models.TextChoices):
    """The statutory steps as the election's state (workflow.ELECTIONS)."""

    PREPARING = "preparing", _("筹备中")
    COMMITTEE = "committee", _("选举委员会已成立")
    GROUPS = "groups", _("居民小组已划分")
    REGISTERING = "registering", _("选民登记中")
    REGISTERED = "registered", _("选民登记结束")
    LISTED = "listed", _("选民名单已公布")
    NOMINATED = "nominated", _("候选人已公布")
    SECOND_ROUND = "second_round", _("待另行选举")
    COUNTED = "counted", _("已计票")
    ANNOUNCED = "announced", _("结果已公告")
    REPORTED = "reported", _("已报区备案")
    DEFERRED = "deferred", _("暂缓选举")


class ElectionAction(models.TextChoices):
    SCHEDULE = "schedule", pgettext_lazy("election action", "安排日程")
    FORM_COMMITTEE = "form_committee", pgettext_lazy("election action", "成立选举委员会")
    DIVIDE_GROUPS = "divide_groups", pgettext_lazy("election action", "划分居民小组")
    OPEN_REGISTRATION = "open_registration", pgettext_lazy("election action", "开始选民登记")
    CLOSE_REGISTRATION = "close_registration", pgettext_lazy("election action", "结束选民登记")
    PUBLISH_LIST = "publish_list", pgettext_lazy("election action", "公布选民名单")
    ANNOUNCE_CANDIDATES = "announce_candidates", pgettext_lazy("election action", "公布正式候选人")
    COUNT = "count", pgettext_lazy("election action", "计票")
    ANNOUNCE_RESULTS = "announce_results", pgettext_lazy("election action", "公告选举结果")
    REPORT = "report", pgettext_lazy("election action", "报区备案")
    DEFER = "defer", pgettext_lazy("election action", "暂缓选举")
    RESUME = "resume", pgettext_lazy("election action", "恢复选举")


class Step(models.TextChoices):
    """The dated milestones of the timeline, in their legal order (Milestone.step)."""

    COMMITTEE_FORMED = "committee_formed", _("选举委员会成立并公告")
    GROUPS_DIVIDED = "groups_divided", _("划分居民小组、推选居民代表")
    REGISTRATION_OPENED = "registration_opened", _("选民登记开始")
    REGISTRATION_CLOSED = "registration_closed", _("选民登记结束")
    LIST_PUBLISHED = "list_published", _("公布选民名单")
    CANDIDATES_ANNOUNCED = "candidates_announced", _("公布正式候选人")
    ELECTION_DAY = "election_day", _("选举日")
    RESULTS_ANNOUNCED = "results_announced", _("公告选举结果")
    RESULTS_REPORTED = "results_reported", _("报区备案")


STEP_ORDER = list(Step)

# The step each action completes (its Milestone.done_on is set by the action's frame).
STEP_OF_ACTION: dict[str, Step] = {
    ElectionAction.FORM_COMMITTEE: Step.COMMITTEE_FORMED,
    ElectionAction.DIVIDE_GROUPS: Step.GROUPS_DIVIDED,
    ElectionAction.OPEN_REGISTRATION: Step.REGISTRATION_OPENED,
    ElectionAction.CLOSE_REGISTRATION: Step.REGISTRATION_CLOSED,
    ElectionAction.PUBLISH_LIST: Step.LIST_PUBLISHED,
    ElectionAction.ANNOUNCE_CANDIDATES: Step.CANDIDATES_ANNOUNCED,
    ElectionAction.COUNT: Step.ELECTION_DAY,
    ElectionAction.ANNOUNCE_RESULTS: Step.RESULTS_ANNOUNCED,
    ElectionAction.REPORT: Step.RESULTS_REPORTED,
}


class Basis(models.TextChoices):
    """Why a person is on the register (residence status on the registry)."""

    REGISTERED = "registered", _("户籍在本居住地区")
    RESIDENT = "resident", _("户籍不在本地、居住一年以上本人申请")
    OTHER = "other", _("其他（选举委员会确认）")


class VoterSource(models.TextChoices):
    REGISTRY = "registry", _("实有人口登记")
    ADDITION = "addition", _("补充登记")
    OBJECTION = "objection", _("申诉后列入")


class VoterStatus(models.TextChoices):
    LISTED = "listed", _("已登记")
    STRUCK = "struck", _("已除名")


class ObjectionKind(models.TextChoices):
    OMITTED = "omitted", _("应列入而未列入")
    WRONGLY_LISTED = "wrongly_listed", _("不应列入而列入")
    WRONG_DETAILS = "wrong_details", _("登记信息有误")


class ObjectionStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    UPHELD = "upheld", _("申诉成立")
    REJECTED = "rejected", _("申诉不成立")


class ObjectionAction(models.TextChoices):
    UPHOLD = "uphold", pgettext_lazy("objection action", "申诉成立")
    REJECT = "reject", pgettext_lazy("objection action", "申诉不成立")


class MailingKind(models.TextChoices):
    LETTER = "letter", _("告居民书")
    NOTICE = "notice", _("选举通知书（含回执）")


class BoxKind(models.TextChoices):
    """Where ballots were cast (civil-affairs reporting forms, brief §6)."""

    HALL = "hall", _("中心会场")
    STATION = "station", _("投票站")
    MOBILE = "mobile", _("流动票箱")
    POSTAL = "postal", _("邮寄投票")
    PROXY = "proxy", _("委托投票")


class Position(models.TextChoices):
    CHAIR = "chair", _("主任")
    VICE_CHAIR = "vice_chair", _("副主任")
    MEMBER = "member", _("委员")


class CandidateStatus(models.TextChoices):
    NOMINEE = "nominee", _("初步候选人")
    OFFICIAL = "official", _("正式候选人")
    WITHDRAWN = "withdrawn", _("已退出")
