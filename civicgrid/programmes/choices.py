"""Named choices of the programmes app: practical projects (实事项目), welfare projects claimed by
member units (公益项目认领), representatives' proposals (代表提案) and democratic evaluation
(民主测评)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# ---------------------------------------------------------------------------- projects


class ProjectCategory(models.TextChoices):
    LIVELIHOOD = "livelihood", _("民生保障")
    ELDERLY = "elderly", _("为老服务")
    RENEWAL = "renewal", _("旧区改造与城市更新")
    SAFETY = "safety", _("安全隐患治理")
    ENVIRONMENT = "environment", _("环境整治")
    TRAFFIC = "traffic", _("交通与停车")
    CULTURE = "culture", _("文化体育")
    SERVICE = "service", _("便民服务")
    OTHER = "other", _("其他")


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    ACTIVE = "active", _("实施中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class ProjectAction(models.TextChoices):
    PUBLISH = "publish", pgettext_lazy("project action", "发布")
    REPORT = "report", pgettext_lazy("project action", "报告进展")
    COMPLETE = "complete", pgettext_lazy("project action", "完成")
    REOPEN = "reopen", pgettext_lazy("project action", "重新实施")
    CANCEL = "cancel", pgettext_lazy("project action", "取消")


class ProjectPhoto(models.TextChoices):
    """Attachment stages of a project (core.attachments)."""

    PROGRESS = "progress", _("进展照片")


class MilestoneStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    OVERDUE = "overdue", _("已逾期")
    DONE = "done", _("已完成")


class MilestoneAction(models.TextChoices):
    COMPLETE = "complete", pgettext_lazy("milestone action", "完成节点")
    MARK_OVERDUE = "mark_overdue", pgettext_lazy("milestone action", "标记逾期")
    SUPERVISE = "supervise", pgettext_lazy("milestone action", "督办")
    RESCHEDULE = "reschedule", pgettext_lazy("milestone action", "调整节点日期")


# ---------------------------------------------------------------------------- welfare


class MemberKind(models.TextChoices):
    """Member units of the regional party-building alliance (区域化党建成员单位, seed 004)."""

    COMPANY = "company", _("企业")
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    PROPERTY = "property", _("物业公司")
    AGENCY = "agency", _("机关事业单位")
    SOCIAL = "social", _("社会组织")
    OTHER = "other", _("其他")


class WelfareStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    OPEN = "open", _("认领中")
    COVERED = "covered", _("已认领满")
    CLOSED = "closed", _("已结项")
    CANCELLED = "cancelled", _("已撤销")


class WelfareAction(models.TextChoices):
    PUBLISH = "publish", pgettext_lazy("welfare action", "发布")
    MARK_COVERED = "mark_covered", pgettext_lazy("welfare action", "认领已满")
    REOPEN_CLAIMS = "reopen_claims", pgettext_lazy("welfare action", "重新开放认领")
    CLOSE = "close", pgettext_lazy("welfare action", "结项")
    CANCEL = "cancel", pgettext_lazy("welfare action", "撤销")


class AskKind(models.TextChoices):
    """What a welfare project asks of member units."""

    MONEY = "money", _("资金")
    VOLUNTEERS = "volunteers", _("志愿服务")
    MATERIALS = "materials", _("物资")
    VENUE = "venue", _("场地")
    OTHER = "other", _("其他")


class ClaimStatus(models.TextChoices):
    CLAIMED = "claimed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    DELIVERED = "delivered", _("已交付")
    CLOSED = "closed", _("已结项")
    REJECTED = "rejected", _("不予确认")
    WITHDRAWN = "withdrawn", _("已撤回")


# A claim in these states holds its quantity of the ask (Ask.claimed counts them).
LIVE_CLAIMS = frozenset(
    {ClaimStatus.CLAIMED, ClaimStatus.CONFIRMED, ClaimStatus.DELIVERED, ClaimStatus.CLOSED}
)


class ClaimAction(models.TextChoices):
    CONFIRM = "confirm", pgettext_lazy("claim action", "确认认领")
    REJECT = "reject", pgettext_lazy("claim action", "不予确认")
    DELIVER = "deliver", pgettext_lazy("claim action", "登记交付")
    CLOSE = "close", pgettext_lazy("claim action", "结项")
    WITHDRAW = "withdraw", pgettext_lazy("claim action", "撤回认领")


class ClaimPhoto(models.TextChoices):
    EVIDENCE = "evidence", _("交付凭证")


# ---------------------------------------------------------------------------- proposals


class SessionKind(models.TextChoices):
    RESIDENTS = "residents", _("居民代表会议")
    COMMUNITY = "community", _("社区代表大会")


class ProposalStatus(models.TextChoices):
    FILED = "filed", _("已提交")
    ACCEPTED = "accepted", _("已立案")
    MERGED = "merged", _("已并案")
    DECLINED = "declined", _("不予立案")
    ASSIGNED = "assigned", _("已交办")
    ANSWERED = "answered", _("已答复")
    RATED = "rated", _("已评价")


class ProposalAction(models.TextChoices):
    ACCEPT = "accept", pgettext_lazy("proposal action", "立案")
    MERGE = "merge", pgettext_lazy("proposal action", "并案")
    DECLINE = "decline", pgettext_lazy("proposal action", "不予立案")
    ASSIGN = "assign", pgettext_lazy("proposal action", "交办")
    ANSWER = "answer", pgettext_lazy("proposal action", "答复")
    RATE = "rate", pgettext_lazy("proposal action", "评价")
    REASSIGN = "reassign", pgettext_lazy("proposal action", "重新交办")


class Rating(models.TextChoices):
    """The proposer's rating of the answer."""

    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("准备中")
    OPEN = "open", _("测评中")
    CLOSED = "closed", _("已计票")
    PUBLISHED = "published", _("已公布")


class EvaluationAction(models.TextChoices):
    OPEN = "open", pgettext_lazy("evaluation action", "开始测评")
    CLOSE = "close", pgettext_lazy("evaluation action", "结束测评并计票")
    PUBLISH = "publish", pgettext_lazy("evaluation action", "公布结果")


class Mark(models.TextChoices):
    """A ballot's mark for one subject of a democratic evaluation."""

    GOOD = "good", _("满意")
    FAIR = "fair", _("基本满意")
    POOR = "poor", _("不满意")
    UNKNOWN = "unknown", _("不了解")


class BallotSource(models.TextChoices):
    WEB = "web", _("扫码测评")
    PAPER = "paper", _("纸质票录入")


class NotificationKind(models.TextChoices):
    MILESTONE_OVERDUE = "programmes.overdue", _("实事项目节点逾期")
    MILESTONE_SUPERVISED = "programmes.supervised", _("实事项目督办")
    PROPOSAL_ASSIGNED = "programmes.assigned", _("代表提案交办")
    CLAIM_RECORDED = "programmes.claim", _("公益项目认领")
