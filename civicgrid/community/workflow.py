"""The community machines on the kernel's engine (core.workflow): an activity (with its
sign-ups, check-ins and volunteer posts, all taken under the activity's row lock), a
volunteer (the hours ledger), an appointment at the service centre, a 上门办 request and a
newsletter issue. The bodies live in `actions/` (one module per part); the guards in
`checks.py`."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from civicgrid.core.attachments import clean_image
from civicgrid.core.capabilities import roles
from civicgrid.core.params import Kind, Param
from civicgrid.core.workflow import Guard, Machine, Transition, machines

from . import checks
from .choices import (
    ActivityAction,
    ActivityStatus,
    AppointmentAction,
    AppointmentStatus,
    ContactChannel,
    HomeServiceAction,
    HomeServiceStatus,
    NewsletterAction,
    NewsletterStatus,
    SignUpStatus,
    Skill,
    VolunteerAction,
    VolunteerStatus,
)

ACTIVITIES, SIGN_UP, CHECK_IN = "community.activities", "community.sign_up", "community.check_in"
VOLUNTEERS, CONFIRM_HOURS = "community.volunteers", "community.confirm_hours"
DESK, BOOK, NEWSLETTER = "community.service_desk", "community.book", "community.newsletter"


def note(label: Any = None, *, required: bool = False) -> Param:
    return Param("note", label or _("说明"), Kind.LONGTEXT, required=required, max_length=2000)


def _sign_ups(user: Any) -> Any:
    from .models import SignUp

    return SignUp.objects.restrict(user, "view").exclude(status=SignUpStatus.CANCELLED)


def _people(user: Any) -> Any:
    from civicgrid.residents.models import Person

    return Person.objects.restrict(user, "view")


def _slots(user: Any) -> Any:
    from .models import VolunteerSlot

    return VolunteerSlot.objects.restrict(user, "view")


def _volunteers(user: Any) -> Any:
    from .models import Volunteer

    return Volunteer.objects.restrict(user, "view").filter(status=VolunteerStatus.ACTIVE)


def _assignments(user: Any) -> Any:
    from .models import SlotAssignment

    return SlotAssignment.objects.restrict(user, "view").select_related("slot", "slot__activity")


def _entries(user: Any) -> Any:
    from .models import HoursEntry

    return HoursEntry.objects.restrict(user, "view")


def _windows(user: Any) -> Any:
    from .models import Window

    return Window.objects.restrict(user, "view").filter(active=True)


def _desk_staff(user: Any) -> Any:
    """The accounts that may take a 上门办 task: the service desk's staff the user may see."""
    from civicgrid.accounts.models import User

    return User.objects.restrict(user, "view").filter(is_active=True, role__in=roles(DESK))


A, V = ActivityStatus, VolunteerStatus
LIVE_ACTIVITY = frozenset({A.DRAFT, A.OPEN, A.CLOSED})
# Volunteer posts are also recorded after the day (who helped, so their hours are confirmed).
POSTS_OPEN = LIVE_ACTIVITY | {A.DONE}
PERSON = Param("person", _("居民（实有人口）"), Kind.REF, queryset=_people, help=_("代居民报名时可选"))
NAME = Param("name", _("姓名"), Kind.TEXT, max_length=50, help=_("电话或现场报名时填写"))
PHONE = Param("phone", _("联系电话"), Kind.TEXT, max_length=30)

ACTIVITY_MACHINE = machines.add(
    Machine(
        name="community.activities",
        statuses=ActivityStatus,
        actions=ActivityAction,
        noun=_("社区活动"),
        transitions=[
            Transition(
                ActivityAction.PUBLISH,
                frozenset({A.DRAFT}),
                A.OPEN,
                ACTIVITIES,
                params=(note(),),
                primary=True,
            ),
            # Full: onto the waiting list while it has room, else refused (the body decides).
            Transition(
                ActivityAction.SIGN_UP,
                frozenset({A.OPEN}),
                None,
                SIGN_UP,
                guards=(Guard(checks.sign_up_open, checks.SIGN_UP_CLOSED),),
                params=(
                    PERSON,
                    NAME,
                    PHONE,
                    Param(
                        "channel",
                        _("报名方式"),
                        Kind.CHOICE,
                        choices=ContactChannel,
                        default=ContactChannel.WEB,
                    ),
                ),
                primary=True,
            ),
            # A confirmed place given back goes to the first on the waiting list.
            Transition(
                ActivityAction.CANCEL_SIGN_UP,
                frozenset({A.OPEN, A.CLOSED}),
                None,
                SIGN_UP,
                guards=(
                    Guard(
                        checks.sign_up_of_activity, checks.SIGN_UP_ELSEWHERE, on_params=True, field="sign_up"
                    ),
                ),
                params=(Param("sign_up", _("报名"), Kind.REF, queryset=_sign_ups, required=True), note()),
            ),
            Transition(
                ActivityAction.CHECK_IN,
                frozenset({A.OPEN, A.CLOSED}),
                None,
                CHECK_IN,
                guards=(
                    Guard(checks.on_the_day, checks.NOT_THE_DAY),
                    Guard(
                        checks.sign_up_of_activity, checks.SIGN_UP_ELSEWHERE, on_params=True, field="sign_up"
                    ),
                    Guard(checks.at_the_door, checks.NOT_AT_THE_DOOR, on_params=True, field="code"),
                ),
                params=(
                    Param("sign_up", _("报名"), Kind.REF, queryset=_sign_ups, required=True),
                    # The day's code from the activity's QR code (checkin.py); staff need none.
                    Param("code", _("签到码"), Kind.TEXT, max_length=200, hidden=True),
                ),
            ),
            Transition(
                ActivityAction.CLOSE_SIGN_UP, frozenset({A.OPEN}), A.CLOSED, ACTIVITIES, params=(note(),)
            ),
            Transition(
                ActivityAction.ADD_SLOT,
                POSTS_OPEN,
                None,
                VOLUNTEERS,
                params=(
                    Param("title", _("岗位"), Kind.TEXT, required=True, max_length=40),
                    Param("needed", _("需要人数"), Kind.INT, required=True, min_value=1, max_value=200),
                    Param(
                        "hours", _("服务时长（小时）"), Kind.FLOAT, required=True, min_value=0.5, max_value=24
                    ),
                    Param("skill", _("所需特长"), Kind.CHOICE, choices=Skill),
                ),
            ),
            Transition(
                ActivityAction.ASSIGN_VOLUNTEER,
                POSTS_OPEN,
                None,
                VOLUNTEERS,
                guards=(Guard(checks.slot_of_activity, checks.SLOT_ELSEWHERE, on_params=True, field="slot"),),
                params=(
                    Param("slot", _("岗位"), Kind.REF, queryset=_slots, required=True),
                    Param("volunteer", _("志愿者"), Kind.REF, queryset=_volunteers, required=True),
                ),
            ),
            # A volunteer who did not come (their post's hours are then never confirmed).
            Transition(
                ActivityAction.MARK_ABSENT,
                frozenset({A.OPEN, A.CLOSED, A.DONE}),
                None,
                VOLUNTEERS,
                guards=(
                    Guard(
                        checks.assignment_of_activity,
                        checks.ASSIGNMENT_ELSEWHERE,
                        on_params=True,
                        field="assignment",
                    ),
                ),
                params=(Param("assignment", _("岗位安排"), Kind.REF, queryset=_assignments, required=True),),
            ),
            Transition(
                ActivityAction.FINISH,
                frozenset({A.OPEN, A.CLOSED}),
                A.DONE,
                ACTIVITIES,
                guards=(Guard(checks.has_started, checks.NOT_STARTED),),
                params=(
                    Param(
                        "walk_ins",
                        _("现场参加（未报名）人数"),
                        Kind.INT,
                        min_value=0,
                        max_value=10000,
                        default=0,
                    ),
                    note(_("活动小结")),
                ),
                primary=True,
            ),
            Transition(
                ActivityAction.CANCEL,
                LIVE_ACTIVITY,
                A.CANCELLED,
                ACTIVITIES,
                params=(note(_("取消原因"), required=True),),
                danger=True,
            ),
        ],
    )
)

VOLUNTEER_MACHINE = machines.add(
    Machine(
        name="community.volunteers",
        statuses=VolunteerStatus,
        actions=VolunteerAction,
        noun=_("志愿者"),
        transitions=[
            # Hours of a post served (`assignment`, once) or of other service (an activity or none).
            Transition(
                VolunteerAction.CONFIRM_HOURS,
                frozenset({V.ACTIVE}),
                None,
                CONFIRM_HOURS,
                # With an assignment the post gives the day, hours and description (the body
                # fills what is left blank); other service needs all three (the body says so).
                params=(
                    Param("assignment", _("志愿岗位"), Kind.REF, queryset=_assignments),
                    Param("served_on", _("服务日期"), Kind.DATE),
                    Param("hours", _("时长（小时）"), Kind.FLOAT, min_value=0.5, max_value=24),
                    Param("description", _("服务内容"), Kind.TEXT, max_length=200),
                ),
                primary=True,
            ),
            Transition(
                VolunteerAction.REVERSE_HOURS,
                frozenset({V.ACTIVE, V.INACTIVE}),
                None,
                CONFIRM_HOURS,
                guards=(
                    Guard(checks.entry_of_volunteer, checks.ENTRY_ELSEWHERE, on_params=True, field="entry"),
                ),
                params=(
                    Param("entry", _("要冲销的记录"), Kind.REF, queryset=_entries, required=True),
                    note(_("冲销原因"), required=True),
                ),
                danger=True,
            ),
            Transition(
                VolunteerAction.LEAVE, frozenset({V.ACTIVE}), V.INACTIVE, VOLUNTEERS, params=(note(),)
            ),
            Transition(
                VolunteerAction.REJOIN, frozenset({V.INACTIVE}), V.ACTIVE, VOLUNTEERS, params=(note(),)
            ),
        ],
    )
)

AP = AppointmentStatus

APPOINTMENT_MACHINE = machines.add(
    Machine(
        name="community.appointments",
        statuses=AppointmentStatus,
        actions=AppointmentAction,
        noun=_("预约"),
        transitions=[
            Transition(AppointmentAction.ARRIVE, frozenset({AP.BOOKED}), AP.WAITING, DESK, primary=True),
            Transition(
                AppointmentAction.CALL,
                frozenset({AP.WAITING}),
                AP.SERVING,
                DESK,
                params=(Param("window", _("窗口"), Kind.REF, queryset=_windows),),
                primary=True,
            ),
            Transition(
                AppointmentAction.FINISH,
                frozenset({AP.SERVING}),
                AP.DONE,
                DESK,
                params=(note(),),
                primary=True,
            ),
            Transition(AppointmentAction.NO_SHOW, frozenset({AP.BOOKED, AP.WAITING}), AP.NO_SHOW, DESK),
            # A resident cancels their own booking (their rows are only their own).
            Transition(
                AppointmentAction.CANCEL,
                frozenset({AP.BOOKED}),
                AP.CANCELLED,
                BOOK,
                params=(note(),),
                danger=True,
            ),
        ],
    )
)

H = HomeServiceStatus

HOME_SERVICE_MACHINE = machines.add(
    Machine(
        name="community.home_services",
        statuses=HomeServiceStatus,
        actions=HomeServiceAction,
        noun=_("上门办"),
        transitions=[
            Transition(
                HomeServiceAction.SCHEDULE,
                frozenset({H.REQUESTED}),
                H.SCHEDULED,
                DESK,
                params=(
                    Param("visit_at", _("上门时间"), Kind.DATETIME, required=True),
                    Param(
                        "assignee",
                        _("上门人员"),
                        Kind.REF,
                        queryset=_desk_staff,
                        help=_("留空：按AB角自动安排"),
                    ),
                ),
                primary=True,
            ),
            Transition(
                HomeServiceAction.RESCHEDULE,
                frozenset({H.SCHEDULED}),
                None,
                DESK,
                params=(
                    Param("visit_at", _("新的上门时间"), Kind.DATETIME, required=True),
                    note(_("改约原因"), required=True),
                ),
            ),
            Transition(
                HomeServiceAction.COMPLETE,
                frozenset({H.SCHEDULED}),
                H.DONE,
                DESK,
                params=(
                    Param("outcome", _("办理结果"), Kind.LONGTEXT, required=True, max_length=2000),
                    Param("photos", _("现场照片"), Kind.FILES, cleaner=clean_image),
                ),
                primary=True,
            ),
            Transition(
                HomeServiceAction.UNABLE,
                frozenset({H.SCHEDULED}),
                H.UNABLE,
                DESK,
                params=(note(_("未能办理的原因"), required=True),),
            ),
            Transition(
                HomeServiceAction.CANCEL,
                frozenset({H.REQUESTED, H.SCHEDULED}),
                H.CANCELLED,
                BOOK,
                params=(note(_("取消原因"), required=True),),
                danger=True,
            ),
        ],
    )
)

N = NewsletterStatus

NEWSLETTER_MACHINE = machines.add(
    Machine(
        name="community.newsletters",
        statuses=NewsletterStatus,
        actions=NewsletterAction,
        noun=_("社区报"),
        transitions=[
            # Drafts an article from each source for the period (again: replaces the
            # drafts not yet edited, keeps the editor's own work).
            Transition(NewsletterAction.COMPOSE, frozenset({N.DRAFT}), None, NEWSLETTER, primary=True),
            # The body refuses an article with a phone or ID number in it, naming the article.
            Transition(
                NewsletterAction.PUBLISH,
                frozenset({N.DRAFT}),
                N.PUBLISHED,
                NEWSLETTER,
                guards=(Guard(checks.has_articles, checks.NO_ARTICLES),),
                params=(Param("published_on", _("出版日期"), Kind.DATE),),
                primary=True,
            ),
            Transition(
                NewsletterAction.WITHDRAW,
                frozenset({N.PUBLISHED}),
                N.WITHDRAWN,
                NEWSLETTER,
                params=(note(_("撤回原因"), required=True),),
                danger=True,
            ),
            Transition(
                NewsletterAction.REOPEN, frozenset({N.WITHDRAWN}), N.DRAFT, NEWSLETTER, params=(note(),)
            ),
        ],
    )
)
