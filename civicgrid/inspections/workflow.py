"""The three machines of inspections on the kernel's engine (core.workflow): the task
(检查任务), the rectification order (限期整改通知) and the group-renting register entry (群租登记).
Each transition's parameters are at once the phone form's fields, the API's request body and
the validation. Creating a row (an order issued, an entry registered) is not a transition:
the actions log its event (`issue`, `register`)."""

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.cases import checkin
from civicgrid.cases.workflow import open_case_params
from civicgrid.core import profile
from civicgrid.core.attachments import clean_image
from civicgrid.core.capabilities import roles
from civicgrid.core.choices import Action
from civicgrid.core.params import Kind, Param
from civicgrid.core.scope import user_scope
from civicgrid.core.workflow import Guard, Machine, Transition, machines
from civicgrid.orgs.models import Unit

from .choices import (
    DeadlineUnit,
    Escalation,
    OrderAction,
    OrderStatus,
    RentAction,
    RentStatus,
    TaskAction,
    TaskStatus,
)

INSPECT, MANAGE, PLAN, RENTING = (
    "inspections.inspect",
    "inspections.manage",
    "inspections.plan",
    "inspections.renting",
)


def inspectors(user: Any) -> QuerySet[Any]:
    """The accounts of the actor's streets who may inspect (a task's or a plan's inspector)."""
    from civicgrid.accounts.models import User

    scope = user_scope(user)
    streets = scope.street_ids if scope is not None and not scope.is_global else None
    rows = User.objects.filter(is_active=True, role__in=roles(INSPECT))
    if streets is not None:
        rows = rows.filter(memberships__area__street_id__in=streets)
    return rows.distinct().order_by("full_name", "username")


def units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.restrict(user, Action.VIEW).filter(is_active=True).order_by("street", "name")


def note(label: Any, *, required: bool = False) -> Param:
    return Param(
        "note",
        label,
        Kind.LONGTEXT,
        required=required,
        required_message=f"请填写{label}" if required else "",
        max_length=2000,
    )


def photos(label: Any) -> Param:
    return Param("photos", label, Kind.FILES, cleaner=clean_image)


def deadline_params(required: bool) -> tuple[Param, Param]:
    """A deadline as the inspector sets it (blank: the severity's default in the profile)."""
    return (
        Param(
            "deadline_amount",
            _("整改期限"),
            Kind.INT,
            required=required,
            min_value=1,
            max_value=168,
            help=_("留空则按严重程度取街道默认期限"),
        ),
        Param(
            "deadline_unit",
            _("期限单位"),
            Kind.CHOICE,
            choices=DeadlineUnit,
            default=DeadlineUnit.WORKING_DAYS,
        ),
    )


# ---------------------------------------------------------------------------- tasks

TASK_TRANSITIONS = [
    # Taken by the inspection that records the task (inspections.actions.records), never as a
    # button: it has no body of its own.
    Transition(TaskAction.COMPLETE, frozenset({TaskStatus.OPEN}), TaskStatus.DONE, INSPECT, primary=True),
    Transition(
        TaskAction.REASSIGN,
        frozenset({TaskStatus.OPEN}),
        None,
        PLAN,
        params=(
            Param("assignee", _("检查人"), Kind.REF, queryset=inspectors),
            Param("unit", _("检查单位"), Kind.REF, queryset=units),
            Param("due_on_days", _("期限顺延（天）"), Kind.INT, min_value=0, max_value=90, default=0),
        ),
    ),
    Transition(
        TaskAction.CANCEL,
        frozenset({TaskStatus.OPEN}),
        TaskStatus.CANCELLED,
        PLAN,
        params=(note(_("取消原因"), required=True),),
        danger=True,
    ),
]

TASKS = machines.add(
    Machine(
        name="inspections.tasks",
        statuses=TaskStatus,
        actions=TaskAction,
        transitions=TASK_TRANSITIONS,
        noun="检查任务",
    )
)

# ---------------------------------------------------------------------------- orders

OPEN = frozenset({OrderStatus.ISSUED, OrderStatus.SUBMITTED})


def _no_case_yet(order: Any, user: Any, params: Mapping[str, Any] | None) -> bool:
    return order.case_id is None


def _overdue_now(order: Any, user: Any, params: Mapping[str, Any] | None) -> bool:
    from civicgrid.core import clock

    return order.escalation == Escalation.NONE and order.due_at < clock.now()


def _escalate_now(order: Any, user: Any, params: Mapping[str, Any] | None) -> bool:
    from civicgrid.core import clock, workdays

    if order.escalation != Escalation.SUPERVISED or order.overdue_at is None:
        return False
    days = int(profile.value("inspections.escalate_after_days", order.street_id))
    return workdays.working_days_between(order.overdue_at, clock.now()) >= days


ORDER_TRANSITIONS = [
    Transition(
        OrderAction.REPORT_DONE,
        frozenset({OrderStatus.ISSUED}),
        OrderStatus.SUBMITTED,
        INSPECT,
        params=(note(_("整改情况"), required=True), photos(_("整改佐证照片"))),
    ),
    Transition(
        OrderAction.RECHECK_PASS,
        frozenset({*OPEN, OrderStatus.REPORTED}),
        OrderStatus.CLOSED,
        INSPECT,
        guards=checkin.GUARDS,
        params=(note(_("复查情况"), required=True), photos(_("复查照片")), *checkin.PARAMS),
        primary=True,
    ),
    Transition(
        OrderAction.RECHECK_FAIL,
        OPEN,
        OrderStatus.ISSUED,
        INSPECT,
        guards=checkin.GUARDS,
        params=(
            note(_("复查情况"), required=True),
            *deadline_params(required=False),
            photos(_("复查照片")),
            *checkin.PARAMS,
        ),
    ),
    Transition(
        OrderAction.EXTEND,
        OPEN,
        None,
        MANAGE,
        params=(*deadline_params(required=True), note(_("延期理由"), required=True)),
    ),
    Transition(OrderAction.SUPERVISE, OPEN, None, guards=(Guard(_overdue_now, _("尚未超过整改期限")),)),
    Transition(OrderAction.ESCALATE, OPEN, None, guards=(Guard(_escalate_now, _("尚未到提级时间")),)),
    Transition(
        OrderAction.REPORT_UP,
        OPEN,
        OrderStatus.REPORTED,
        MANAGE,
        params=(
            Param(
                "to", _("上报至"), Kind.TEXT, required=True, max_length=100, placeholder=_("如：区应急管理局")
            ),
            note(_("街道无法解决的原因"), required=True),
        ),
    ),
    Transition(
        OrderAction.OPEN_CASE,
        frozenset({*OPEN, OrderStatus.REPORTED}),
        None,
        INSPECT,
        guards=(Guard(_no_case_yet, _("该整改通知已转派过工单")),),
        params=open_case_params(lambda order, user: f"{order.place.name}：{order.finding}"),
    ),
    Transition(
        OrderAction.CANCEL,
        frozenset({OrderStatus.ISSUED}),
        OrderStatus.CANCELLED,
        MANAGE,
        params=(note(_("撤销理由"), required=True),),
        danger=True,
    ),
]

ORDERS = machines.add(
    Machine(
        name="inspections.orders",
        statuses=OrderStatus,
        actions=OrderAction,
        transitions=ORDER_TRANSITIONS,
        noun="整改通知",
    )
)

# ---------------------------------------------------------------------------- group renting


def clean_checks_required(street_id: int | None) -> int:
    return int(profile.value("inspections.rent_clean_checks", street_id))


def _after_clean_check(entry: Any, user: Any) -> str:
    """Closed by the check that makes the street's number of clean checks in a row."""
    if entry.clean_checks + 1 >= clean_checks_required(entry.street_id):
        return RentStatus.CLOSED
    return RentStatus.RECTIFIED


def _tenants_informed(entry: Any, user: Any, params: Mapping[str, Any] | None) -> bool:
    return bool(params and params.get("tenants_informed"))


RENT_TRANSITIONS = [
    Transition(
        RentAction.CONFIRM,
        frozenset({RentStatus.REPORTED}),
        RentStatus.CONFIRMED,
        RENTING,
        params=(
            Param(
                "joint_with",
                _("联合检查单位"),
                Kind.TEXT,
                max_length=200,
                placeholder=_("如：城管中队、派出所"),
            ),
            Param("tenants", _("租住人数"), Kind.INT, min_value=0, max_value=500, default=0),
            note(_("检查情况"), required=True),
            photos(_("整治前照片")),
        ),
        primary=True,
    ),
    Transition(
        RentAction.DISMISS,
        frozenset({RentStatus.REPORTED}),
        RentStatus.DISMISSED,
        RENTING,
        params=(note(_("核查情况"), required=True),),
    ),
    Transition(
        RentAction.RECTIFY,
        frozenset({RentStatus.CONFIRMED}),
        RentStatus.RECTIFIED,
        RENTING,
        guards=(
            Guard(_tenants_informed, _("须先告知租客相关规定"), on_params=True, field="tenants_informed"),
        ),
        params=(
            Param("partitions_removed", _("拆除隔断（处）"), Kind.INT, min_value=0, max_value=200, default=0),
            Param("tenants_informed", _("已告知租客"), Kind.BOOL, default=False),
            note(_("整治情况"), required=True),
            photos(_("整治后照片")),
        ),
        primary=True,
    ),
    Transition(
        RentAction.CHECK_CLEAN,
        frozenset({RentStatus.RECTIFIED}),
        _after_clean_check,
        RENTING,
        params=(note(_("复查情况")), photos(_("复查照片"))),
        primary=True,
    ),
    Transition(
        RentAction.CHECK_RELAPSE,
        frozenset({RentStatus.RECTIFIED}),
        RentStatus.CONFIRMED,
        RENTING,
        params=(note(_("反弹情况"), required=True), photos(_("复查照片"))),
        danger=True,
    ),
]

RENTING_MACHINE = machines.add(
    Machine(
        name="inspections.renting",
        statuses=RentStatus,
        actions=RentAction,
        transitions=RENT_TRANSITIONS,
        noun="群租登记",
    )
)
