"""The transition table of the work-order loop.

Each action names the states it may start from, the state it leads to (None: unchanged or
decided by the action itself), the roles that may take it, and an optional guard for
conditions beyond state and role (a handler must hold an assignment of the right status).
Nothing else in the code decides what may happen to a case.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from civicgrid.core.choices import Role

from .choices import (
    OPEN_STATUSES,
    AssignmentStatus,
    CaseAction,
    CaseStatus,
    ExtensionStatus,
    RequestType,
)

S = CaseStatus
DESK = frozenset({Role.DISPATCHER, Role.ADMIN})
HANDLERS = frozenset({Role.HANDLER})
STAFF = frozenset({Role.ADMIN, Role.DISPATCHER, Role.GRID_WORKER, Role.CADRE, Role.HANDLER, Role.LEADER})
MERGEABLE = frozenset({S.NEW, S.FILED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED})
SUSPENDABLE = frozenset({S.NEW, S.FILED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED, S.REOPENED})
ALL = frozenset(CaseStatus)


def _unit_assignments(case: Any, user: Any, statuses: set[str]) -> list[Any]:
    from civicgrid.core.querysets import user_scope

    scope = user_scope(user)
    if scope is None or not scope.unit_ids:
        return []
    return [a for a in case.assignments.all() if a.unit_id in scope.unit_ids and a.status in statuses]


def holds_assignment(*statuses: str, lead: bool = False) -> Callable[[Any, Any], bool]:
    def guard(case: Any, user: Any) -> bool:
        found = _unit_assignments(case, user, set(statuses))
        return any(a.role == "lead" for a in found) if lead else bool(found)

    return guard


def _has_pending_extension(case: Any, user: Any) -> bool:
    return case.extensions.filter(status=ExtensionStatus.PENDING).exists()


def _may_request_extension(case: Any, user: Any) -> bool:
    lead = holds_assignment(AssignmentStatus.PENDING, AssignmentStatus.SIGNED, lead=True)(case, user)
    return lead and not _has_pending_extension(case, user)


def _closable(case: Any, user: Any) -> bool:
    # An inquiry or suggestion the desk answers itself closes straight from "filed".
    if case.status == S.FILED:
        return case.request_type in (RequestType.INQUIRY, RequestType.SUGGESTION)
    return True


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    guard: Callable[[Any, Any], bool] | None = None
    # The guard's refusal in words, for the error message.
    guard_message: str = ""


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition(CaseAction.FILE, frozenset({S.NEW}), S.FILED, DESK),
        Transition(CaseAction.REJECT, frozenset({S.NEW}), S.REJECTED, DESK),
        Transition(CaseAction.DISPATCH, frozenset({S.FILED, S.RETURNED, S.REOPENED}), S.DISPATCHED, DESK),
        Transition(CaseAction.REDISPATCH, frozenset({S.DISPATCHED, S.IN_PROGRESS}), S.DISPATCHED, DESK),
        Transition(
            CaseAction.SIGN,
            frozenset({S.DISPATCHED, S.IN_PROGRESS}),
            None,
            HANDLERS,
            holds_assignment(AssignmentStatus.PENDING),
            "本单位没有待签收的派单",
        ),
        Transition(
            CaseAction.RETURN,
            frozenset({S.DISPATCHED, S.IN_PROGRESS}),
            None,
            HANDLERS,
            holds_assignment(AssignmentStatus.PENDING, AssignmentStatus.SIGNED),
            "本单位没有可退回的派单",
        ),
        Transition(
            CaseAction.REQUEST_EXTENSION,
            frozenset({S.DISPATCHED, S.IN_PROGRESS}),
            None,
            HANDLERS,
            _may_request_extension,
            "只有主办单位可以申请延期，且同时只能有一个待审批的申请",
        ),
        Transition(
            CaseAction.APPROVE_EXTENSION,
            frozenset({S.DISPATCHED, S.IN_PROGRESS}),
            None,
            DESK,
            _has_pending_extension,
            "没有待审批的延期申请",
        ),
        Transition(
            CaseAction.REFUSE_EXTENSION,
            frozenset({S.DISPATCHED, S.IN_PROGRESS}),
            None,
            DESK,
            _has_pending_extension,
            "没有待审批的延期申请",
        ),
        Transition(
            CaseAction.REPORT_BACK,
            frozenset({S.IN_PROGRESS}),
            None,
            HANDLERS,
            holds_assignment(AssignmentStatus.SIGNED),
            "本单位需先签收才能反馈",
        ),
        Transition(CaseAction.VERIFY_PASS, frozenset({S.HANDLED}), S.VERIFIED, DESK | {Role.GRID_WORKER}),
        Transition(CaseAction.VERIFY_FAIL, frozenset({S.HANDLED}), S.IN_PROGRESS, DESK | {Role.GRID_WORKER}),
        Transition(
            CaseAction.CLOSE,
            frozenset({S.VERIFIED, S.FILED}),
            S.CLOSED,
            DESK,
            _closable,
            "只有咨询、建议类工单可以直接结案，其余须经处置和核查",
        ),
        Transition(CaseAction.CALLBACK, frozenset({S.CLOSED}), None, DESK),
        Transition(CaseAction.REOPEN, frozenset({S.CLOSED, S.REJECTED}), S.REOPENED, DESK),
        Transition(CaseAction.SUPERVISE, OPEN_STATUSES, None, DESK | {Role.LEADER}),
        Transition(CaseAction.ESCALATE, OPEN_STATUSES, None, DESK | {Role.CADRE}),
        Transition(CaseAction.MERGE, MERGEABLE, S.MERGED, DESK),
        Transition(CaseAction.SUSPEND, SUSPENDABLE, S.SUSPENDED, DESK),
        Transition(CaseAction.RESUME, frozenset({S.SUSPENDED}), None, DESK),
        Transition(CaseAction.COMMENT, ALL, None, STAFF),
    ]
}


def role_of(user: Any) -> str | None:
    from civicgrid.core.querysets import user_scope

    scope = user_scope(user)
    return scope.role if scope else None


def is_global(user: Any) -> bool:
    from civicgrid.core.querysets import user_scope

    scope = user_scope(user)
    return bool(scope and scope.is_global)


def check(case: Any, action: str, user: Any) -> Transition:
    """The transition, or an error saying exactly why not (unknown action, role, state, guard)."""
    from .errors import Forbidden, InvalidInput, TransitionNotAllowed

    transition = TRANSITIONS.get(action)
    if transition is None:
        raise InvalidInput(f"未知的操作：{action}", {"action": "unknown"})
    if not is_global(user) and role_of(user) not in transition.roles:
        raise Forbidden(f"你的角色不能执行“{CaseAction(action).label}”")
    if case.status not in transition.sources:
        raise TransitionNotAllowed(
            f"工单当前状态为“{CaseStatus(case.status).label}”，不能执行“{CaseAction(action).label}”"
        )
    if transition.guard is not None and not transition.guard(case, user):
        raise TransitionNotAllowed(transition.guard_message or f"现在不能执行“{CaseAction(action).label}”")
    return transition


def allowed_actions(case: Any, user: Any) -> list[str]:
    """Actions this user may take on this case now (the UI shows only these)."""
    allowed = []
    for action, transition in TRANSITIONS.items():
        if not is_global(user) and role_of(user) not in transition.roles:
            continue
        if case.status not in transition.sources:
            continue
        if transition.guard is not None and not transition.guard(case, user):
            continue
        allowed.append(action)
    return allowed
