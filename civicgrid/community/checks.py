"""The guards of the community machines (workflow.py): conditions on the object beyond its
state, each with the refusal the reader sees."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock
from civicgrid.core.capabilities import may

from . import checkin


def sign_up_open(activity: Any, user: Any, params: Any) -> bool:
    closes = activity.sign_up_closes_at or activity.starts_at
    return clock.now() < closes


SIGN_UP_CLOSED = _("报名已截止")


def on_the_day(activity: Any, user: Any, params: Any) -> bool:
    """Check-in opens on the activity's day (local time) and closes when it ends."""
    now = clock.now()
    return timezone.localtime(activity.starts_at).date() == clock.today() and now < activity.ends_at


NOT_THE_DAY = _("只能在活动当天、活动结束前签到")


def has_started(activity: Any, user: Any, params: Any) -> bool:
    return clock.now() >= activity.starts_at


NOT_STARTED = _("活动尚未开始，不能结束")


def sign_up_of_activity(activity: Any, user: Any, params: Any) -> bool:
    sign_up = (params or {}).get("sign_up")
    return sign_up is None or sign_up.activity_id == activity.pk


SIGN_UP_ELSEWHERE = _("所选报名不属于本活动")


def slot_of_activity(activity: Any, user: Any, params: Any) -> bool:
    slot = (params or {}).get("slot")
    return slot is None or slot.activity_id == activity.pk


SLOT_ELSEWHERE = _("所选岗位不属于本活动")


def assignment_of_activity(activity: Any, user: Any, params: Any) -> bool:
    assignment = (params or {}).get("assignment")
    return assignment is None or assignment.slot.activity_id == activity.pk


ASSIGNMENT_ELSEWHERE = _("所选岗位安排不属于本活动")


def entry_of_volunteer(volunteer: Any, user: Any, params: Any) -> bool:
    entry = (params or {}).get("entry")
    return entry is None or entry.volunteer_id == volunteer.pk


ENTRY_ELSEWHERE = _("所选记录不属于该志愿者")


def has_articles(newsletter: Any, user: Any, params: Any) -> bool:
    return newsletter.articles.filter(included=True).exists()


NO_ARTICLES = _("本期还没有刊用的稿件")


def at_the_door(activity: Any, user: Any, params: Any) -> bool:
    """A resident checks themselves in with the day's code (they scanned it at the door)."""
    if not may(user, "community.own_rows_only"):
        return True
    return checkin.valid_today(activity, (params or {}).get("code") or "")


NOT_AT_THE_DOOR = _("请扫描活动现场的签到码签到")
