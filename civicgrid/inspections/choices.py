"""The named choices of safety inspections (安全隐患排查), rectification orders (限期整改) and
group renting (群租整治)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlaceKind(models.TextChoices):
    """What kind of place is under supervision (brief §4; seeds 000, 003, 004)."""

    CHEMICAL = "chemical", _("危化品企业")
    PARK = "park", _("产业园区")
    SITE = "site", _("建筑工地")
    BASEMENT = "basement", _("居民区地下空间")
    PETROL = "petrol", _("加油站")
    SMALL = "small", _("沿街商铺和小场所")
    GROUP_RENT = "group_rent", _("群租房")
    CHARGING = "charging", _("电动自行车充电点")
    OLD_BLOCK = "old_block", _("老旧房屋（结构受损）")


class RiskLevel(models.TextChoices):
    LOW = "low", _("低风险")
    MEDIUM = "medium", _("一般风险")
    HIGH = "high", _("较大风险")
    MAJOR = "major", _("重大风险")


class Severity(models.TextChoices):
    """How grave a failed item is: it sets the order's default deadline (profile)."""

    MINOR = "minor", _("轻微")
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("较大")
    MAJOR = "major", _("重大")


class HazardSource(models.TextChoices):
    """Seed 003: the eight hazard sources a street governs at the root (八大隐患源头治理)."""

    EBIKE_CHARGING = "ebike_charging", _("非机动车违规充电")
    LOAD_BEARING = "load_bearing", _("损坏房屋承重结构")
    GROUP_RENTING = "group_renting", _("群租")
    ILLEGAL_BUILDING = "illegal_building", _("违法搭建")
    FIRE_EXITS = "fire_exits", _("占用堵塞消防通道")
    STAIRWELL_CLUTTER = "stairwell_clutter", _("楼道堆物")
    WIRING = "wiring", _("电线私拉乱接")
    GAS = "gas", _("燃气使用不规范")


class Outcome(models.TextChoices):
    """One checklist item's result in an inspection."""

    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    NOT_APPLICABLE = "na", _("不适用")


class PlanKind(models.TextChoices):
    RECURRING = "recurring", _("定期检查")
    CAMPAIGN = "campaign", _("专项行动")
    UNANNOUNCED = "unannounced", _("四不两直暗查暗访")


class Recurrence(models.TextChoices):
    ONCE = "once", _("一次")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")


class TaskPurpose(models.TextChoices):
    ROUTINE = "routine", _("隐患排查")
    RECHECK = "recheck", _("整改复查")
    GROUP_RENT = "group_rent", _("群租检查")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待检查")
    DONE = "done", _("已检查")
    CANCELLED = "cancelled", _("已取消")


class TaskAction(models.TextChoices):
    COMPLETE = "complete", _("完成检查")
    REASSIGN = "reassign", _("改派")
    CANCEL = "cancel", _("取消任务")


class OrderStatus(models.TextChoices):
    ISSUED = "issued", _("整改中")
    SUBMITTED = "submitted", _("待复查")
    REPORTED = "reported", _("已上报上级")
    CLOSED = "closed", _("已销号")
    CANCELLED = "cancelled", _("已撤销")


OPEN_ORDER_STATUSES = (OrderStatus.ISSUED, OrderStatus.SUBMITTED, OrderStatus.REPORTED)


class OrderAction(models.TextChoices):
    ISSUE = "issue", _("下达整改通知")
    REPORT_DONE = "report_done", _("反馈整改情况")
    RECHECK_PASS = "recheck_pass", _("复查合格销号")
    RECHECK_FAIL = "recheck_fail", _("复查不合格")
    EXTEND = "extend", _("延长整改期限")
    SUPERVISE = "supervise", _("逾期督办")
    ESCALATE = "escalate", _("提级督办")
    REPORT_UP = "report_up", _("上报上级")
    OPEN_CASE = "open_case", _("转派工单")
    CANCEL = "cancel", _("撤销整改")


class Escalation(models.TextChoices):
    """How far an overdue order has gone: like a case, supervision first, then up a level."""

    NONE = "none", _("未督办")
    SUPERVISED = "supervised", _("已督办")
    ESCALATED = "escalated", _("已提级")


class DeadlineUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("个工作日")
    HOURS = "hours", _("小时")


class RentStatus(models.TextChoices):
    REPORTED = "reported", _("待核查")
    CONFIRMED = "confirmed", _("确认群租")
    RECTIFIED = "rectified", _("已整治·复查中")
    CLOSED = "closed", _("已销号")
    DISMISSED = "dismissed", _("查无群租")


OPEN_RENT_STATUSES = (RentStatus.REPORTED, RentStatus.CONFIRMED, RentStatus.RECTIFIED)


class RentAction(models.TextChoices):
    REGISTER = "register", _("登记群租线索")
    CONFIRM = "confirm", _("联合检查确认")
    DISMISS = "dismiss", _("查无群租")
    RECTIFY = "rectify", _("整治完成")
    CHECK_CLEAN = "check_clean", _("复查无反弹")
    CHECK_RELAPSE = "check_relapse", _("复查发现反弹")


class FlatFinding(models.TextChoices):
    """What a door-to-door sweep (逐楼逐层逐户) found at one flat."""

    CLEAN = "clean", _("正常")
    SUSPECTED = "suspected", _("疑似群租")
    GROUP_RENT = "group_rent", _("群租")
    NO_ACCESS = "no_access", _("未入户")


class InspectionPhoto(models.TextChoices):
    SITE = "site", _("检查照片")


class OrderPhoto(models.TextChoices):
    EVIDENCE = "evidence", _("整改佐证")
    RECHECK = "recheck", _("复查照片")


class RentPhoto(models.TextChoices):
    BEFORE = "before", _("整治前")
    AFTER = "after", _("整治后")
    CHECK = "check", _("复查照片")


class NotificationKind(models.TextChoices):
    TASK = "inspections.task", _("检查任务")
    ORDER = "inspections.order", _("整改通知")
    ORDER_OVERDUE = "inspections.overdue", _("整改逾期")
    RENT = "inspections.rent", _("群租整治")
