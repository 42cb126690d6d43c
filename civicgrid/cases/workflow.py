"""The transition table of the work-order loop: one declaration per action.

Each `Transition` (core.workflow) names the states the action may start from, the state it
leads to (a rule when the actor decides it: a co-handler's signature leaves the case where
it is), the capability a person needs (cases/capabilities.py; none for the system's overdue
marks), the guards beyond state and capability with their refusal, the parameters (the web
form, the API request schema and the validation come from them) and the wording residents
read on the public timeline. Nothing else in the code decides what may happen to a case;
the bodies of the actions are in `cases/actions/`.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput, NotFound
from civicgrid.core.inputs import as_id
from civicgrid.core.params import Kind, Param
from civicgrid.core.querysets import user_scope
from civicgrid.core.workflow import Guard, Machine, Transition, machines
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from . import checkin
from .choices import (
    OPEN_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    CaseAction,
    CaseStatus,
    DisputeLevel,
    EscalationLadder,
    EscalationLevel,
    ExtensionStatus,
    GridChoice,
    RequestType,
    Resolution,
    Satisfaction,
    Urgency,
)

S = CaseStatus
A = CaseAction
MERGEABLE = frozenset({S.NEW, S.FILED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED})
SUSPENDABLE = frozenset({S.NEW, S.FILED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED, S.REOPENED})
ALL = frozenset(CaseStatus)
NONE: frozenset[str] = frozenset()

# ---------------------------------------------------------------------------- guards


def unit_assignments(case: Any, user: Any, statuses: set[str]) -> list[Any]:
    """The case's assignments to the user's own units in one of `statuses`."""
    scope = user_scope(user)
    if scope is None or not scope.unit_ids:
        return []
    return [a for a in case.assignments.all() if a.unit_id in scope.unit_ids and a.status in statuses]


def holds_assignment(*statuses: str, lead: bool = False) -> Callable[..., bool]:
    def test(case: Any, user: Any, params: Any = None) -> bool:
        found = unit_assignments(case, user, set(statuses))
        return any(a.role == AssignmentRole.LEAD for a in found) if lead else bool(found)

    return test


def moves_if_lead(target: str, *statuses: str) -> Callable[[Any, Any], str]:
    """The case moves to `target` when the actor's unit holds the lead assignment; a
    co-handler's step leaves it where it is."""
    is_lead = holds_assignment(*statuses, lead=True)
    return lambda case, user: target if is_lead(case, user) else case.status


def _has_pending_extension(case: Any, user: Any, params: Any = None) -> bool:
    return case.extensions.filter(status=ExtensionStatus.PENDING).exists()


def _may_request_extension(case: Any, user: Any, params: Any = None) -> bool:
    lead = holds_assignment(AssignmentStatus.PENDING, AssignmentStatus.SIGNED, lead=True)(case, user)
    return lead and not _has_pending_extension(case, user)


def _not_rated(case: Any, user: Any, params: Any = None) -> bool:
    return not case.callbacks.filter(by_resident=True).exists()


def _photo_of_case(case: Any, user: Any, params: Mapping[str, Any] | None) -> bool:
    return params is not None and case.photos.filter(pk=params["photo"].pk).exists()


def _closable(case: Any, user: Any, params: Any = None) -> bool:
    # An inquiry or suggestion the desk answers itself closes straight from "filed".
    if case.status == S.FILED:
        return case.request_type in (RequestType.INQUIRY, RequestType.SUGGESTION)
    return True


# Escalation ladders: the field each one moves and its steps, lowest first.
LADDERS: dict[str, tuple[str, list[str]]] = {
    EscalationLadder.LEVEL: ("escalation_level", list(EscalationLevel.values)),
    EscalationLadder.DISPUTE: ("dispute_level", list(DisputeLevel.values)),
}


def next_step(case: Any, ladder: str) -> str | None:
    field_name, steps = LADDERS[ladder]
    position = steps.index(getattr(case, field_name))
    return steps[position + 1] if position + 1 < len(steps) else None


def _can_climb(case: Any, user: Any, params: Mapping[str, Any] | None = None) -> bool:
    ladders = [params["ladder"]] if params else list(LADDERS)
    return any(next_step(case, ladder) is not None for ladder in ladders)


def _master_is_other(case: Any, user: Any, params: Mapping[str, Any] | None) -> bool:
    return params is not None and params["master"].pk != case.pk


def _master_same_street(case: Any, user: Any, params: Mapping[str, Any] | None) -> bool:
    return params is not None and params["master"].street_id == case.street_id


def _master_open(case: Any, user: Any, params: Mapping[str, Any] | None) -> bool:
    return params is not None and params["master"].status in OPEN_STATUSES


def _overdue_now(case: Any, user: Any, params: Any = None) -> bool:
    return not case.is_overdue and case.handling_due_at < clock.now()


def response_overdue_key(case: Any) -> str:
    return f"response-overdue:{case.pk}:{case.response_due_at.isoformat()}"


def _response_overdue_now(case: Any, user: Any, params: Any = None) -> bool:
    # Once per response limit: a supervision record with this key means it was marked.
    return (
        case.responded_at is None
        and case.response_due_at < clock.now()
        and not case.supervisions.filter(key=response_overdue_key(case)).exists()
    )


def _one_place(case: Any, user: Any, params: Mapping[str, Any] | None) -> bool:
    """更正位置 takes exactly one of: a building, a grid, a point (lon and lat)."""
    if params is None:
        return False
    given = [params["building"], params["grid"], params["lon"] is not None or params["lat"] is not None]
    return sum(1 for g in given if g) == 1 and (params["lon"] is None) == (params["lat"] is None)


def _has_grid_conflict(case: Any, user: Any, params: Any = None) -> bool:
    return bool(case.grid_conflict)


# ---------------------------------------------------------------------------- parameters


def _resolve_category(value: Any, user: Any) -> Any:
    from .actions.intake import resolve_category

    return resolve_category(value)


def _category_choices() -> list[Any]:
    from .widgets import category_choices

    return category_choices()


def _category_picker() -> Any:
    from .widgets import CategoryPicker

    return CategoryPicker()


def category_param(**extra: Any) -> Param:
    """The problem category as every form picks it (a searchable grouped list), resolved to
    its row: the cases' own actions and other apps' "open a case" steps declare it from here."""
    return Param(
        "category",
        _("问题分类"),
        Kind.CHOICE,
        choices=_category_choices,
        widget=_category_picker,
        resolve=_resolve_category,
        **extra,
    )


def open_case_params(initial_description: Callable[[Any, Any], str]) -> tuple[Param, Param]:
    """What another app's "open a case" step asks (由走访立工单, 整改转工单): a category and the
    description, prefilled from the object (`initial_description(obj, user)`)."""
    return (
        category_param(required=True),
        Param(
            "description",
            _("诉求内容"),
            Kind.LONGTEXT,
            required=True,
            required_message="请填写诉求内容",
            max_length=2000,
            initial=initial_description,
        ),
    )


def _resolve_master(value: Any, user: Any) -> Any:
    from .actions.frame import load_case

    try:
        return load_case(value, user)
    except NotFound:
        raise InvalidInput(f"主单 {value} 不存在或不在你的管辖范围内", {"master": "unknown"}) from None


def _clean_photo(upload: Any) -> Any:
    from .photos import clean_photo

    return clean_photo(upload)


def _resolve_building(value: Any, user: Any) -> Any:
    from .actions.place import find_visible_building

    return find_visible_building(value, user)


def _grids(user: Any) -> QuerySet[Area]:
    return Area.objects.restrict(user, Action.VIEW).grids().order_by("code")


def _resolve_photo(value: Any, user: Any) -> Any:
    from .models import Photo

    # The user's photos only: another street's id reads as unknown.
    key = as_id(str(value))
    found = Photo.objects.restrict(user, Action.CHANGE).filter(pk=key).first() if key else None
    if found is None:
        raise InvalidInput(f"照片 {value} 不存在", {"photo": "unknown"})
    return found


def handler_result(case: Any) -> str:
    """The public result proposed at close (the form's initial value, and the action's
    default when none is given): the lead unit's report (处置情况)."""
    lead = case.assignments.filter(role=AssignmentRole.LEAD, status=AssignmentStatus.HANDLED)
    return lead.values_list("feedback", flat=True).last() or case.public_result


# The resident answers only whether it was solved (the desk's callback also knows 部分解决).
RESIDENT_RESOLUTIONS = [(r.value, r.label) for r in (Resolution.RESOLVED, Resolution.UNRESOLVED)]


def _units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.restrict(user, Action.VIEW).filter(is_active=True).order_by("street", "name")


def _routed(case: Any) -> Any:
    """The duty table's proposal for the case, looked up once per form (both unit fields ask)."""
    from .routing import route

    if not hasattr(case, "_routed_proposal"):
        case._routed_proposal = route(case.category, [case.grid, case.residential_area, case.street])
    return case._routed_proposal


def _routed_lead(case: Any, user: Any) -> Any:
    proposal = _routed(case)
    lead = case.lead_unit or (proposal.lead_unit if proposal else None)
    return lead.pk if lead else None


def _routed_co_units(case: Any, user: Any) -> list[int]:
    proposal = _routed(case)
    return [u.pk for u in proposal.co_units] if proposal else []


def _max_extension_days(case: Any) -> int:
    from .deadlines import max_extension_days

    return max_extension_days(case.street_id)


def note(label: Any = None, required: bool = False, message: str = "") -> Param:
    return Param(
        "note",
        label or _("说明"),
        Kind.LONGTEXT,
        required=required,
        required_message=message,
        placeholder="" if required else _("可选"),
    )


def reason(message: str, label: Any = None) -> Param:
    return Param("reason", label or _("理由"), Kind.LONGTEXT, required=True, required_message=message)


def photos(label: Any) -> Param:
    return Param("photos", label, Kind.FILES, cleaner=_clean_photo)


DISPATCH_PARAMS = (
    Param("lead_unit", _("主办单位"), Kind.REF, queryset=_units, initial=_routed_lead),
    Param("co_units", _("协办单位"), Kind.REFS, queryset=_units, initial=_routed_co_units),
    note(_("派遣意见")),
)

# ---------------------------------------------------------------------------- the table

DESK, HANDLE, VERIFY = "cases.desk", "cases.handle", "cases.verify"


def coordinate(name: str, label: Any, low: int, high: int) -> Param:
    return Param(
        name, label, Kind.FLOAT, min_value=low, max_value=high, range_message="%(min)s–%(max)s（WGS84）"
    )


TRANSITIONS = [
    # Timeline rows that are no step of a person: registering (create_case), a source update
    # (12345 re-sent a row), and the deadline job's marks.
    Transition(A.CREATE, NONE, public=_("已受理您的反映")),
    Transition(A.UPDATE, NONE),
    Transition(A.OVERDUE, OPEN_STATUSES, guards=(Guard(_overdue_now, _("尚未超过处置时限")),)),
    Transition(
        A.RESPONSE_OVERDUE, OPEN_STATUSES, guards=(Guard(_response_overdue_now, _("尚未超过响应时限")),)
    ),
    Transition(
        A.FILE,
        frozenset({S.NEW}),
        S.FILED,
        DESK,
        params=(
            category_param(initial=lambda case, user: case.category.code),
            Param(
                "request_type",
                _("诉求类型"),
                Kind.CHOICE,
                choices=RequestType,
                initial=lambda case, user: case.request_type,
            ),
            Param(
                "urgency",
                _("紧急程度"),
                Kind.CHOICE,
                choices=Urgency,
                initial=lambda case, user: case.urgency,
            ),
            note(),
        ),
        public=_("已立案"),
        primary=True,
    ),
    Transition(
        A.REJECT,
        frozenset({S.NEW}),
        S.REJECTED,
        DESK,
        params=(reason("请填写不予立案理由"),),
        public=_("不予立案"),
        danger=True,
    ),
    Transition(
        A.DISPATCH,
        frozenset({S.FILED, S.RETURNED, S.REOPENED}),
        S.DISPATCHED,
        DESK,
        params=DISPATCH_PARAMS,
        public=_("已派至处置单位"),
        primary=True,
    ),
    Transition(
        A.REDISPATCH,
        frozenset({S.DISPATCHED, S.IN_PROGRESS}),
        S.DISPATCHED,
        DESK,
        params=DISPATCH_PARAMS,
        public=_("已改派处置单位"),
    ),
    Transition(
        A.SIGN,
        frozenset({S.DISPATCHED, S.IN_PROGRESS}),
        moves_if_lead(S.IN_PROGRESS, AssignmentStatus.PENDING),
        HANDLE,
        guards=(Guard(holds_assignment(AssignmentStatus.PENDING), _("本单位没有待签收的派单")),),
        params=(note(),),
        public=_("处置单位已签收"),
        primary=True,
    ),
    Transition(
        A.RETURN,
        frozenset({S.DISPATCHED, S.IN_PROGRESS}),
        moves_if_lead(S.RETURNED, AssignmentStatus.PENDING, AssignmentStatus.SIGNED),
        HANDLE,
        guards=(
            Guard(
                holds_assignment(AssignmentStatus.PENDING, AssignmentStatus.SIGNED),
                _("本单位没有可退回的派单"),
            ),
        ),
        params=(reason("请填写退单理由"),),
        danger=True,
    ),
    Transition(
        A.REQUEST_EXTENSION,
        frozenset({S.DISPATCHED, S.IN_PROGRESS}),
        None,
        HANDLE,
        guards=(Guard(_may_request_extension, _("只有主办单位可以申请延期，且同时只能有一个待审批的申请")),),
        params=(
            Param(
                "working_days",
                _("延期工作日"),
                Kind.INT,
                required=True,
                required_message="请填写延期的工作日数",
                min_value=1,
                max_value=_max_extension_days,
                range_message="延期须为 %(min)s–%(max)s 个工作日",
                help=_("须调度员批准"),
            ),
            reason("请填写延期理由", _("延期理由")),
        ),
    ),
    Transition(
        A.APPROVE_EXTENSION,
        frozenset({S.DISPATCHED, S.IN_PROGRESS}),
        None,
        DESK,
        guards=(Guard(_has_pending_extension, _("没有待审批的延期申请")),),
        params=(note(),),
        primary=True,
    ),
    Transition(
        A.REFUSE_EXTENSION,
        frozenset({S.DISPATCHED, S.IN_PROGRESS}),
        None,
        DESK,
        guards=(Guard(_has_pending_extension, _("没有待审批的延期申请")),),
        params=(note(_("意见"), required=True, message="请填写驳回理由"),),
    ),
    Transition(
        A.REPORT_BACK,
        frozenset({S.IN_PROGRESS}),
        moves_if_lead(S.HANDLED, AssignmentStatus.SIGNED),
        HANDLE,
        guards=(Guard(holds_assignment(AssignmentStatus.SIGNED), _("本单位需先签收才能反馈")),),
        params=(
            Param(
                "feedback",
                _("处置情况"),
                Kind.LONGTEXT,
                required=True,
                required_message="请填写处置情况",
                textarea_rows=3,
            ),
            photos(_("处置后照片")),
        ),
        public=_("处置单位已反馈办理情况"),
        primary=True,
    ),
    Transition(
        A.VERIFY_PASS,
        frozenset({S.HANDLED}),
        S.VERIFIED,
        VERIFY,
        guards=checkin.GUARDS,
        params=(note(), photos(_("核查照片")), *checkin.PARAMS),
        public=_("现场核查通过"),
        primary=True,
    ),
    Transition(
        A.VERIFY_FAIL,
        frozenset({S.HANDLED}),
        S.IN_PROGRESS,
        VERIFY,
        guards=checkin.GUARDS,
        params=(reason("请填写核查不通过的理由"), photos(_("核查照片")), *checkin.PARAMS),
        public=_("现场核查未通过，继续办理"),
        danger=True,
    ),
    Transition(
        A.CLOSE,
        frozenset({S.VERIFIED, S.FILED}),
        S.CLOSED,
        DESK,
        guards=(Guard(_closable, _("只有咨询、建议类工单可以直接结案，其余须经处置和核查")),),
        params=(
            Param(
                "public_result",
                _("对外办理结果"),
                Kind.LONGTEXT,
                initial=lambda case, user: handler_result(case),
                textarea_rows=3,
                help=_("居民在跟踪页看到的办理结果（已预填处置单位的反馈，可修改）"),
            ),
            note(_("内部结案说明")),
        ),
        public=_("已办结"),
        primary=True,
    ),
    Transition(
        A.CALLBACK,
        frozenset({S.CLOSED}),
        None,
        DESK,
        guards=(
            Guard(
                lambda case, user, p: p is not None and (not p["contacted"] or bool(p["resolution"])),
                _("已联系上诉求人时请选择解决情况"),
                on_params=True,
                field="resolution",
                code="required",
            ),
            Guard(
                lambda case, user, p: p is not None and (not p["contacted"] or bool(p["satisfaction"])),
                _("已联系上诉求人时请选择满意度"),
                on_params=True,
                field="satisfaction",
                code="required",
            ),
        ),
        params=(
            Param(
                "contacted",
                _("是否联系上诉求人"),
                Kind.BOOL,
                default=True,
                yes_no=(_("已联系上"), _("未联系上")),
            ),
            Param("resolution", _("解决情况"), Kind.CHOICE, choices=Resolution),
            Param("satisfaction", _("满意度"), Kind.CHOICE, choices=Satisfaction),
            note(_("回访记录")),
        ),
        public=_("已回访"),
        primary=True,
    ),
    # The resident's own rating through the tracking link: no account, so the system takes the
    # step on their behalf once the link is checked (cases.tracking). Once per case.
    Transition(
        A.RATE,
        frozenset({S.CLOSED}),
        guards=(Guard(_not_rated, _("已评价过，每件工单只能评价一次")),),
        params=(
            Param(
                "satisfaction",
                _("满意度"),
                Kind.CHOICE,
                choices=Satisfaction,
                required=True,
                required_message="请选择满意度",
            ),
            Param(
                "resolution",
                _("问题是否解决"),
                Kind.CHOICE,
                choices=lambda: RESIDENT_RESOLUTIONS,
                required=True,
                required_message="请选择问题是否解决",
            ),
            Param("comment", _("意见建议"), Kind.LONGTEXT, max_length=500, placeholder=_("可选")),
        ),
        public=_("居民已评价"),
    ),
    Transition(
        A.REOPEN,
        frozenset({S.CLOSED, S.REJECTED}),
        S.REOPENED,
        DESK,
        params=(reason("请填写重启理由"),),
        public=_("重新办理"),
    ),
    Transition(
        A.SUPERVISE,
        OPEN_STATUSES,
        None,
        "cases.supervise",
        params=(note(_("意见"), required=True, message="请填写督办意见"),),
    ),
    Transition(
        A.ESCALATE,
        OPEN_STATUSES,
        None,
        "cases.escalate",
        guards=(Guard(_can_climb, _("已是最高等级，不能再升级")),),
        params=(
            Param(
                "ladder", _("升级类型"), Kind.CHOICE, choices=EscalationLadder, default=EscalationLadder.LEVEL
            ),
            note(),
        ),
    ),
    Transition(
        A.MERGE,
        MERGEABLE,
        S.MERGED,
        DESK,
        guards=(
            Guard(_master_is_other, _("不能合并到自身"), on_params=True, field="master", code="self"),
            Guard(
                _master_same_street,
                _("只能合并同一街道的工单"),
                on_params=True,
                field="master",
                code="other_street",
            ),
            Guard(
                _master_open,
                lambda case, user, p: (
                    f"主单 {p['master'].number} 已{p['master'].get_status_display()}，不能作为主单"
                ),
                on_params=True,
                field="master",
                code="closed",
            ),
        ),
        params=(
            Param(
                "master",
                _("主单编号"),
                Kind.TEXT,
                required=True,
                required_message="请指定主单",
                max_length=32,
                resolve=_resolve_master,
            ),
            note(),
        ),
        public=_("与同一问题的其他反映合并办理"),
        danger=True,
    ),
    Transition(
        A.SUSPEND,
        SUSPENDABLE,
        S.SUSPENDED,
        DESK,
        params=(reason("请填写挂起理由"),),
        public=_("暂缓办理"),
        danger=True,
    ),
    Transition(
        A.RESUME,
        frozenset({S.SUSPENDED}),
        lambda case, user: case.status_before_suspend or S.FILED,
        DESK,
        params=(note(),),
        public=_("恢复办理"),
        primary=True,
    ),
    Transition(
        A.RELOCATE,
        OPEN_STATUSES,
        None,
        DESK,
        guards=(
            Guard(
                _one_place,
                _("请选择楼栋、网格或在地图上点选位置，且只选一种"),
                on_params=True,
                field="building",
                code="required",
            ),
        ),
        params=(
            Param(
                "building",
                pgettext_lazy("singular", "楼栋"),
                Kind.TEXT,
                max_length=200,
                resolve=_resolve_building,
                placeholder=_("楼栋编号或地址"),
            ),
            Param("grid", _("网格"), Kind.REF, queryset=_grids),
            coordinate("lon", _("经度"), 73, 136),
            coordinate("lat", _("纬度"), 3, 54),
            reason("请填写更正位置的理由"),
        ),
    ),
    Transition(
        A.CHOOSE_GRID,
        OPEN_STATUSES,
        None,
        DESK,
        guards=(Guard(_has_grid_conflict, _("本工单没有待选定的网格冲突")),),
        params=(
            Param("grid", _("由哪个网格核查"), Kind.CHOICE, choices=GridChoice, required=True),
            note(),
        ),
        primary=True,
    ),
    Transition(
        A.REVOKE_LINK,
        ALL,
        None,
        DESK,
        params=(note(),),
        danger=True,
    ),
    Transition(
        A.PUBLISH_PHOTO,
        ALL,
        None,
        DESK,
        guards=(
            Guard(_photo_of_case, _("不是本工单的照片"), on_params=True, field="photo", code="other_case"),
        ),
        params=(
            Param("photo", _("照片"), Kind.INT, required=True, resolve=_resolve_photo),
            Param("public", _("对外公开"), Kind.BOOL, default=False),
        ),
    ),
    Transition(
        A.COMMENT,
        ALL,
        None,
        "cases.comment",
        params=(
            note(_("备注"), required=True, message="请填写备注内容"),
            Param("contacted_requester", _("已联系诉求人"), Kind.BOOL, default=False),
        ),
    ),
]

MACHINE = machines.add(
    Machine(name="cases", statuses=CaseStatus, actions=CaseAction, transitions=TRANSITIONS, noun="工单")
)


def check(case: Any, action: str, user: Any, params: Mapping[str, Any] | None = None) -> Transition:
    return MACHINE.check(case, action, user, params)


def allowed_actions(case: Any, user: Any) -> list[str]:
    """Actions this user may take on this case now (the UI shows only these)."""
    return MACHINE.allowed_actions(case, user)
