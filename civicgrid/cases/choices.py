from django.db import models


class RequestType(models.TextChoices):
    INQUIRY = "inquiry", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGESTION = "suggestion", "建议"


class Channel(models.TextChoices):
    HOTLINE = "hotline", "12345热线"
    WEB = "web", "居民网上反映"
    PATROL = "patrol", "网格巡查"
    WALK_IN = "walk_in", "来访"
    INSPECTION = "inspection", "检查发现"
    DOOR_TO_DOOR = "door_to_door", "上门服务"
    SENSOR = "sensor", "物联感知"


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"
    EMERGENCY = "emergency", "特急"


class CategoryKind(models.TextChoices):
    EVENT = "event", "事件"
    COMPONENT = "component", "部件"


class CaseStatus(models.TextChoices):
    NEW = "new", "待受理"
    FILED = "filed", "已立案"
    DISPATCHED = "dispatched", "已派遣"
    IN_PROGRESS = "in_progress", "处置中"
    HANDLED = "handled", "已处置"
    VERIFIED = "verified", "已核查"
    CLOSED = "closed", "已结案"
    REJECTED = "rejected", "不予立案"
    RETURNED = "returned", "已退单"
    SUSPENDED = "suspended", "已挂起"
    MERGED = "merged", "已合并"
    REOPENED = "reopened", "已重启"


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
# States whose clock runs against the handling deadline.
HANDLING_STATUSES = frozenset(
    {
        CaseStatus.FILED,
        CaseStatus.DISPATCHED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.RETURNED,
        CaseStatus.REOPENED,
    }
)


class CaseAction(models.TextChoices):
    CREATE = "create", "登记"
    UPDATE = "update", "更新"
    FILE = "file", "立案"
    REJECT = "reject", "不予立案"
    DISPATCH = "dispatch", "派遣"
    REDISPATCH = "redispatch", "改派"
    SIGN = "sign", "签收"
    RETURN = "return", "退单"
    REQUEST_EXTENSION = "request_extension", "申请延期"
    APPROVE_EXTENSION = "approve_extension", "批准延期"
    REFUSE_EXTENSION = "refuse_extension", "驳回延期"
    REPORT_BACK = "report_back", "处置反馈"
    VERIFY_PASS = "verify_pass", "核查通过"
    VERIFY_FAIL = "verify_fail", "核查不通过"
    CLOSE = "close", "结案"
    CALLBACK = "callback", "回访"
    REOPEN = "reopen", "重启"
    SUPERVISE = "supervise", "督办"
    ESCALATE = "escalate", "升级"
    MERGE = "merge", "合并"
    SUSPEND = "suspend", "挂起"
    RESUME = "resume", "恢复"
    COMMENT = "comment", "备注"
    OVERDUE = "overdue", "超期"


class AssignmentRole(models.TextChoices):
    LEAD = "lead", "主办"
    CO = "co", "协办"


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", "待签收"
    SIGNED = "signed", "已签收"
    HANDLED = "handled", "已反馈"
    RETURNED = "returned", "已退回"
    CANCELLED = "cancelled", "已撤销"


ACTIVE_ASSIGNMENT_STATUSES = frozenset(
    {AssignmentStatus.PENDING, AssignmentStatus.SIGNED, AssignmentStatus.HANDLED}
)


class Resolution(models.TextChoices):
    RESOLVED = "resolved", "已解决"
    PARTLY = "partly", "部分解决"
    UNRESOLVED = "unresolved", "未解决"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASICALLY = "basically", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class EscalationLevel(models.TextChoices):
    COMMUNITY = "community", "居委"
    STREET = "street", "街道"
    DISTRICT = "district", "区"


class DisputeLevel(models.TextChoices):
    REQUEST = "request", "诉求"
    DISPUTE = "dispute", "纠纷"
    CONFLICT = "conflict", "矛盾"


class SupervisionKind(models.TextChoices):
    OVERDUE = "overdue", "超期督办"
    RESPONSE_OVERDUE = "response_overdue", "响应超期督办"
    REPEAT = "repeat", "重复诉求督办"
    LEADER = "leader", "领导督办"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "已驳回"


class PhotoStage(models.TextChoices):
    BEFORE = "before", "处置前"
    AFTER = "after", "处置后"


class NotificationKind(models.TextChoices):
    DISPATCHED = "dispatched", "新派单"
    OVERDUE = "overdue", "超期提醒"
    SUPERVISION = "supervision", "督办"
    RETURNED = "returned", "退单"
    EXTENSION = "extension", "延期申请"
    EXTENSION_DECIDED = "extension_decided", "延期审批结果"
    HANDLED = "handled", "待核查"
    VERIFY_FAILED = "verify_failed", "核查不通过"
    CASE_UPDATE = "case_update", "工单动态"
