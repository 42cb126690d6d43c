"""Named choices of the community app: venues and activities (邻里汇、睦邻点、长者食堂), volunteers
and their hours, the service centre (社区事务受理服务中心: AB角, appointments, 上门办) and the
street's newsletter (社区报)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# ---------------------------------------------------------------------------- venues, activities


class VenueKind(models.TextChoices):
    HUB = "hub", _("邻里汇")
    NEIGHBOUR_POINT = "point", _("睦邻点")
    CANTEEN = "canteen", _("长者食堂")
    SERVICE_STATION = "station", _("服务站")
    PARTY_CENTRE = "party", _("党群服务中心")
    OTHER = "other", _("其他场所")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("星期一")
    TUESDAY = 1, _("星期二")
    WEDNESDAY = 2, _("星期三")
    THURSDAY = 3, _("星期四")
    FRIDAY = 4, _("星期五")
    SATURDAY = 5, _("星期六")
    SUNDAY = 6, _("星期日")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("全体居民")
    ELDERLY = "elderly", _("老年人")
    CHILDREN = "children", _("儿童")
    YOUTH = "youth", _("青少年")
    FAMILIES = "families", _("亲子家庭")
    DISABLED = "disabled", _("残疾人")
    NEWCOMERS = "newcomers", _("新居民")


class ActivityCategory(models.TextChoices):
    CULTURE = "culture", _("文化娱乐")
    HEALTH = "health", _("健康讲座与义诊")
    LEARNING = "learning", _("学习培训")
    SERVICE = "service", _("便民服务")
    PARTY = "party", _("党建活动")
    SPORTS = "sports", _("体育健身")
    VOLUNTEERING = "volunteering", _("志愿服务")
    FESTIVAL = "festival", _("节庆活动")


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    OPEN = "open", _("报名中")
    CLOSED = "closed", _("报名截止")
    DONE = "done", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class ActivityAction(models.TextChoices):
    PUBLISH = "publish", pgettext_lazy("activity action", "发布")
    SIGN_UP = "sign_up", pgettext_lazy("activity action", "报名")
    CANCEL_SIGN_UP = "cancel_sign_up", pgettext_lazy("activity action", "取消报名")
    CHECK_IN = "check_in", pgettext_lazy("activity action", "签到")
    CLOSE_SIGN_UP = "close_sign_up", pgettext_lazy("activity action", "截止报名")
    ADD_SLOT = "add_slot", pgettext_lazy("activity action", "设置志愿岗位")
    ASSIGN_VOLUNTEER = "assign_volunteer", pgettext_lazy("activity action", "安排志愿者")
    MARK_ABSENT = "mark_absent", pgettext_lazy("activity action", "登记志愿者未到岗")
    FINISH = "finish", pgettext_lazy("activity action", "结束并登记人数")
    CANCEL = "cancel", pgettext_lazy("activity action", "取消活动")


class SignUpStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("已报名")
    WAITING = "waiting", _("候补")
    CANCELLED = "cancelled", _("已取消")


class ContactChannel(models.TextChoices):
    """How a resident reached us: on the web (their own account), by phone or at the desk
    (a member of staff writes it down for them)."""

    WEB = "web", _("网上")
    PHONE = "phone", _("电话")
    DESK = "desk", _("现场")


class ActivityRecurrence(models.TextChoices):
    WEEKLY = "weekly", _("每周")
    FORTNIGHTLY = "fortnightly", _("每两周")
    MONTHLY = "monthly", _("每月（同一周次的星期）")


# ---------------------------------------------------------------------------- volunteers


class TeamKind(models.TextChoices):
    UNIVERSITY = "university", _("高校")
    COMPANY = "company", _("企业")
    RESIDENTS = "residents", _("居民志愿队")
    PARTY = "party", _("党员志愿队")
    SCHOOL = "school", _("中小学")
    OTHER = "other", _("其他")


class Skill(models.TextChoices):
    ELDER_CARE = "elder_care", _("助老陪护")
    TEACHING = "teaching", _("教学辅导")
    MEDICAL = "medical", _("医疗健康")
    LEGAL = "legal", _("法律咨询")
    REPAIR = "repair", _("维修")
    ARTS = "arts", _("文艺")
    PHOTOGRAPHY = "photography", _("摄影宣传")
    ORGANISING = "organising", _("活动组织")
    LANGUAGES = "languages", _("外语")
    PATROL = "patrol", _("巡逻")


class VolunteerStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    INACTIVE = "inactive", _("已退出")


class VolunteerAction(models.TextChoices):
    CONFIRM_HOURS = "confirm_hours", pgettext_lazy("volunteer action", "确认服务时长")
    REVERSE_HOURS = "reverse_hours", pgettext_lazy("volunteer action", "冲销服务时长")
    LEAVE = "leave", pgettext_lazy("volunteer action", "退出")
    REJOIN = "rejoin", pgettext_lazy("volunteer action", "重新登记")


class PostStatus(models.TextChoices):
    ASSIGNED = "assigned", _("已安排")
    SERVED = "served", _("已服务")
    ABSENT = "absent", _("未到岗")


# ---------------------------------------------------------------------------- service centre


class ServiceCategory(models.TextChoices):
    SOCIAL_SECURITY = "social_security", _("社会保障")
    CIVIL_AFFAIRS = "civil_affairs", _("民政救助")
    ELDERLY = "elderly", _("养老服务")
    DISABILITY = "disability", _("残疾人服务")
    HOUSEHOLD = "household", _("户籍与居住证")
    EMPLOYMENT = "employment", _("就业创业")
    HEALTH = "health", _("卫生健康")
    FAMILY = "family", _("计生与婚育")
    OTHER = "other", _("其他")


class Responsible(models.TextChoices):
    """Who a request goes to: the item's A (主办), its B (协办, when A is absent), or the
    centre's duty officer when both are away — never nobody."""

    A = "a", _("A角")
    B = "b", _("B角")
    DUTY = "duty", _("值班人员")


class LeaveKind(models.TextChoices):
    ANNUAL = "annual", _("年休假")
    SICK = "sick", _("病假")
    PERSONAL = "personal", _("事假")
    TRAINING = "training", _("培训")
    OUTSIDE = "outside", _("外出办事")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    WAITING = "waiting", _("已取号")
    SERVING = "serving", _("办理中")
    DONE = "done", _("已办结")
    NO_SHOW = "no_show", _("未到")
    CANCELLED = "cancelled", _("已取消")


class AppointmentAction(models.TextChoices):
    ARRIVE = "arrive", pgettext_lazy("appointment action", "到场取号")
    CALL = "call", pgettext_lazy("appointment action", "叫号")
    FINISH = "finish", pgettext_lazy("appointment action", "办结")
    NO_SHOW = "no_show", pgettext_lazy("appointment action", "标记未到")
    CANCEL = "cancel", pgettext_lazy("appointment action", "取消预约")


class HomeServiceStatus(models.TextChoices):
    REQUESTED = "requested", _("待安排")
    SCHEDULED = "scheduled", _("已安排上门")
    DONE = "done", _("已办结")
    UNABLE = "unable", _("未能办理")
    CANCELLED = "cancelled", _("已取消")


class HomeServiceAction(models.TextChoices):
    SCHEDULE = "schedule", pgettext_lazy("home service action", "安排上门")
    RESCHEDULE = "reschedule", pgettext_lazy("home service action", "改约")
    COMPLETE = "complete", pgettext_lazy("home service action", "登记办理结果")
    UNABLE = "unable", pgettext_lazy("home service action", "未能办理")
    CANCEL = "cancel", pgettext_lazy("home service action", "取消")


class HomeServicePhoto(models.TextChoices):
    """Attachment stages of a 上门办 request (core.attachments)."""

    VISIT = "visit", _("上门照片")


class HomeServiceReason(models.TextChoices):
    ALONE_ELDERLY = "alone_elderly", _("独居老人")
    DISABLED = "disabled", _("行动不便")
    ILLNESS = "illness", _("重病卧床")
    OTHER = "other", _("其他")


# ---------------------------------------------------------------------------- newsletter


class PaperSize(models.TextChoices):
    A4 = "A4", _("A4")
    A3 = "A3", _("A3")


class NewsletterStatus(models.TextChoices):
    DRAFT = "draft", _("编辑中")
    PUBLISHED = "published", _("已出版")
    WITHDRAWN = "withdrawn", _("已撤回")


class NewsletterAction(models.TextChoices):
    COMPOSE = "compose", pgettext_lazy("newsletter action", "从平台数据生成稿件")
    PUBLISH = "publish", pgettext_lazy("newsletter action", "出版")
    WITHDRAW = "withdraw", pgettext_lazy("newsletter action", "撤回")
    REOPEN = "reopen", pgettext_lazy("newsletter action", "重新编辑")


class ArticleSource(models.TextChoices):
    """Where an article's draft came from; FREE is written by the editor."""

    CASES = "cases", _("办结工单")
    PROJECTS = "projects", _("实事项目")
    ELECTIONS = "elections", _("选举结果")
    ACTIVITIES = "activities", _("社区活动")
    VOLUNTEERS = "volunteers", _("志愿服务")
    WELFARE = "welfare", _("公益认领")
    SERVICE = "service", _("为民服务")
    FREE = "free", _("自由稿件")


class NotificationKind(models.TextChoices):
    ACTIVITY_PROMOTED = "community_promoted", _("候补转为正式报名")
    ACTIVITY_CANCELLED = "community_cancelled", _("活动取消")
    HOME_SERVICE_TASK = "community_home_task", _("上门办任务")
    ROUTED_TO_B = "community_routed_b", _("A角不在岗，转由B角办理")
    HOME_SERVICE_REQUESTED = "community_home_requested", _("新的上门办申请")
