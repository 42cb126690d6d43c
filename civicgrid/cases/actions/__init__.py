"""Every write to a case goes through this package, one module per family (after Zulip's
`zerver/actions/`): `intake` registers cases, `desk`, `dispatch`, `handling`,
`verification`, `oversight` and `place` (更正位置, 选定网格) are the steps of the transition
table (cases/workflow.py), each a body run by the kernel's action frame (`frame`: one
transaction, scope, version, table, timeline row, side effects on commit), `photos` adds
photos on their own, `resident` is the rating a resident gives through their tracking link,
`deadline_job` is the periodic overdue check (system transitions), `patrol` the grid
worker's patrols (start, track, stop, the cases reported on one). The inbox's read marks
are the kernel's (core.notifications.mark_read / mark_all_read).
"""

from ..workflow import MACHINE
from .common import actor_label
from .deadline_job import check_deadlines, mark_overdue, mark_response_overdue
from .desk import (
    close_case,
    file_case,
    merge_case,
    publish_photo,
    record_callback,
    reject_case,
    reopen_case,
    resume_case,
    revoke_link,
    suspend_case,
)
from .dispatch import dispatch_case, redispatch_case
from .frame import FRAME, load_case, record_event, run_action
from .handling import (
    approve_extension,
    refuse_extension,
    report_back,
    request_extension,
    return_case,
    sign_case,
)
from .intake import (
    CaseInput,
    ResolvedPlace,
    check_street_scope,
    create_case,
    grids_differ,
    record_hinted,
    record_suggestion,
    remember_hints,
    resolve_category,
    resolve_place,
    settle,
    sole_street,
    update_from_source,
    validate_input,
)
from .oversight import comment_case, escalate_case, supervise_case
from .patrol import active_patrol, add_point, report_on_patrol, start_patrol, stop_patrol
from .photos import add_photos
from .place import choose_grid, relocate_case
from .resident import rate_case
from .verification import verify_fail, verify_pass


def action_parameters(action: str) -> list[str]:
    """The parameter names `action` accepts (its declaration in the table), and `version`."""
    return [p.name for p in MACHINE[action].params] + ["version"]


__all__ = [
    "FRAME",
    "CaseInput",
    "ResolvedPlace",
    "action_parameters",
    "active_patrol",
    "actor_label",
    "add_photos",
    "add_point",
    "approve_extension",
    "check_deadlines",
    "check_street_scope",
    "choose_grid",
    "close_case",
    "comment_case",
    "create_case",
    "dispatch_case",
    "escalate_case",
    "file_case",
    "grids_differ",
    "load_case",
    "mark_overdue",
    "mark_response_overdue",
    "merge_case",
    "publish_photo",
    "rate_case",
    "record_callback",
    "record_event",
    "record_hinted",
    "record_suggestion",
    "remember_hints",
    "redispatch_case",
    "refuse_extension",
    "reject_case",
    "relocate_case",
    "reopen_case",
    "report_on_patrol",
    "report_back",
    "request_extension",
    "resolve_category",
    "resolve_place",
    "resume_case",
    "revoke_link",
    "return_case",
    "run_action",
    "settle",
    "sign_case",
    "sole_street",
    "start_patrol",
    "stop_patrol",
    "supervise_case",
    "suspend_case",
    "update_from_source",
    "validate_input",
    "verify_fail",
    "verify_pass",
]
