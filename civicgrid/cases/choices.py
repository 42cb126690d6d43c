from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RequestType(models.TextChoices):
    INQUIRY = "inquiry", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("12345热线")
    WEB = "web", _("居民网上反映")
    PATROL = "patrol", _("网格巡查")
    WALK_IN = "walk_in", _("来访")
    INSPECTION = "inspection", _("检查发现")
    DOOR_TO_DOOR = "door_to_door", _("上门服务")
    SENSOR = "sensor", _("物联感知")
    # A call to the street's own desk (12345's orders are HOTLINE).
    PHONE = "phone", _("来电")


# What the desk registers on a resident's behalf (代居民登记): not the public form's or a
# sensor's channel, which come in by themselves.
DESK_CHANNELS = (
    Channel.WALK_IN,
    Channel.PHONE,
    Channel.DOOR_TO_DOOR,
    Channel.HOTLINE,
    Channel.PATROL,
    Channel.INSPECTION,
)


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    EMERGENCY = "emergency", _("特急")


class CategoryKind(models.TextChoices):
    EVENT = "event", _("事件")
    COMPONENT = "component", _("部件")


class CaseStatus(models.TextChoices):
    NEW = "new", _("待受理")
    FILED = "filed", _("已立案")
    DISPATCHED = "dispatched", _("已派遣")
    IN_PROGRESS = "in_progress", _("处置中")
    HANDLED = "handled", _("已处置")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("不予立案")
    RETURNED = "returned", _("已退单")
    SUSPENDED = "suspended", _("已挂起")
    MERGED = "merged", _("已合并")
    REOPENED = "reopened", _("已重启")


class PublicStatus(models.TextChoices):
    """The states residents read (cases.public): the ones in the middle read the same to them."""

    ACCEPTED = "accepted", _("已受理")
    IN_PROGRESS = "in_progress", _("办理中")
    CLOSED = "closed", _("已办结")
    REJECTED = "rejected", _("不予受理")
    SUSPENDED = "suspended", _("暂缓办理")
    MERGED = "merged", _("合并办理")


# States in which a case still needs work (for queues, duplicates and overdue checks).
OPEN_STATUSES = frozenset(
    {
        CaseStatus.NEW,
        CaseStatus.FILED,
        CaseStatus.DISPATCHED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.HANDLED,
        CaseStatus.VERIFIED,
        CaseStatus.RETURNED,
        CaseStatus.REOPENED,
    }
)


class CaseAction(models.TextChoices):
    CREATE = "create", pgettext_lazy("case action", "登记")
    UPDATE = "update", pgettext_lazy("case action", "更新")
    FILE = "file", pgettext_lazy("case action", "立案")
    REJECT = "reject", pgettext_lazy("case action", "不予立案")
    DISPATCH = "dispatch", pgettext_lazy("case action", "派遣")
    REDISPATCH = "redispatch", pgettext_lazy("case action", "改派")
    SIGN = "sign", pgettext_lazy("case action", "签收")
    RETURN = "return", pgettext_lazy("case action", "退单")
    REQUEST_EXTENSION = "request_extension", pgettext_lazy("case action", "申请延期")
    APPROVE_EXTENSION = "approve_extension", pgettext_lazy("case action", "批准延期")
    REFUSE_EXTENSION = "refuse_extension", pgettext_lazy("case action", "驳回延期")
    REPORT_BACK = "report_back", pgettext_lazy("case action", "处置反馈")
    VERIFY_PASS = "verify_pass", pgettext_lazy("case action", "核查通过")
    VERIFY_FAIL = "verify_fail", pgettext_lazy("case action", "核查不通过")
    CLOSE = "close", pgettext_lazy("case action", "结案")
    CALLBACK = "callback", pgettext_lazy("case action", "回访")
    REOPEN = "reopen", pgettext_lazy("case action", "重启")
    SUPERVISE = "supervise", pgettext_lazy("case action", "督办")
    ESCALATE = "escalate", pgettext_lazy("case action", "升级")
    MERGE = "merge", pgettext_lazy("case action", "合并")
    SUSPEND = "suspend", pgettext_lazy("case action", "挂起")
    RESUME = "resume", pgettext_lazy("case action", "恢复")
    COMMENT = "comment", pgettext_lazy("case action", "备注")
    OVERDUE = "overdue", pgettext_lazy("case action", "超期")
    RESPONSE_OVERDUE = "response_overdue", pgettext_lazy("case action", "响应超期")
    RELOCATE = "relocate", pgettext_lazy("case action", "更正位置")
    CHOOSE_GRID = "choose_grid", pgettext_lazy("case action", "选定网格")
    REVOKE_LINK = "revoke_link", pgettext_lazy("case action", "撤销跟踪链接")
    PUBLISH_PHOTO = "publish_photo", pgettext_lazy("case action", "设置照片公开")
    RATE = "rate", pgettext_lazy("case action", "居民评价")


class PlaceStatus(models.TextChoices):
    """Whether the case's place is known inside its street: an order whose address matched
    nothing is still registered (in its street), to be located by the desk (更正位置)."""

    LOCATED = "located", _("已定位")
    TO_LOCATE = "to_locate", _("待定位")


class GridChoice(models.TextChoices):
    """A grid conflict's two candidates: where the reported point lies, where the building is."""

    POINT = "point", _("定位点所在网格")
    BUILDING = "building", _("楼栋所在网格")


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    CO = "co", _("协办")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("待签收")
    SIGNED = "signed", _("已签收")
    HANDLED = "handled", _("已反馈")
    RETURNED = "returned", _("已退回")
    CANCELLED = "cancelled", _("已撤销")


ACTIVE_ASSIGNMENT_STATUSES = frozenset(
    {AssignmentStatus.PENDING, AssignmentStatus.SIGNED, AssignmentStatus.HANDLED}
)


class Resolution(models.TextChoices):
    RESOLVED = "resolved", _("已解决")
    PARTLY = "partly", _("部分解决")
    UNRESOLVED = "unresolved", _("未解决")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class EscalationLevel(models.TextChoices):
    COMMUNITY = "community", _("居委")
    STREET = "street", pgettext_lazy("singular", "街道")
    DISTRICT = "district", _("区")


class DisputeLevel(models.TextChoices):
    REQUEST = "request", _("诉求")
    DISPUTE = "dispute", _("纠纷")
    CONFLICT = "conflict", _("矛盾")


class EscalationLadder(models.TextChoices):
    LEVEL = "level", _("层级：居委→街道→区")
    DISPUTE = "dispute", _("矛盾等级：诉求→纠纷→矛盾")


class SupervisionKind(models.TextChoices):
    OVERDUE = "overdue", _("超期督办")
    RESPONSE_OVERDUE = "response_overdue", _("响应超期督办")
    REPEAT = "repeat", _("重复诉求督办")
    LEADER = "leader", _("领导督办")


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("已驳回")


class PhotoStage(models.TextChoices):
    BEFORE = "before", _("处置前")
    AFTER = "after", _("处置后")


class NotificationKind(models.TextChoices):
    DISPATCHED = "dispatched", _("新派单")
    OVERDUE = "overdue", _("超期提醒")
    SUPERVISION = "supervision", _("督办")
    RETURNED = "returned", _("退单")
    EXTENSION = "extension", pgettext_lazy("singular", "延期申请")
    EXTENSION_DECIDED = "extension_decided", _("延期审批结果")
    HANDLED = "handled", _("待核查")
    VERIFY_FAILED = "verify_failed", _("核查不通过")
    CASE_UPDATE = "case_update", _("工单动态")
    DUE_SOON = "due_soon", _("临期提醒")
    CASE_RESULT = "case_result", _("办理结果")
    CASE_RECEIVED = "case_received", _("已受理")


class PatrolStatus(models.TextChoices):
    ACTIVE = "active", _("巡查中")
    ENDED = "ended", _("已结束")
