"""`POST /cases/{ref}/actions/{action}`: every workflow action through one endpoint, with
the version check of If-Match (shared with the photo upload)."""

from enum import Enum
from typing import Any

from django.http import HttpResponse
from ninja import Router

from civicgrid.core.audit import acting_as
from civicgrid.core.rest import WRITE_ERRORS, action_bodies, action_request_body, check_if_match, json_object

from .. import actions
from ..errors import InvalidInput
from ..models import Case
from ..schemas import CaseDetailOut
from .common import (
    UNSUPPORTED_PARAMETERS,
    annotated,
    case_etag,
    detail_out,
    lookup,
    op,
    visible,
    with_details,
)

router = Router(tags=["cases"])


# One typed body per action, from its declaration in the transition table (cases/workflow.py);
# the action path parameter: the actions a person can run, as a named enum.
ACTION_BODIES = action_bodies(actions.FRAME, "", "你读到的工单版本（If-Match 亦可）；已过期则 409")
PersonAction = Enum("PersonAction", {a.upper(): a for a in ACTION_BODIES}, type=str)  # type: ignore[misc]


@router.post(
    "/cases/{ref}/actions/{action}",
    operation_id=op("run_action"),
    response={200: CaseDetailOut, **WRITE_ERRORS},
    summary="执行工单操作",
    openapi_extra=action_request_body(ACTION_BODIES, {"version": 3, "note": "已电话联系"}),
)
def run_action(request: Any, response: HttpResponse, ref: str, action: PersonAction) -> dict[str, Any]:
    """Runs `action` (file, dispatch, sign, report_back, verify_pass, close, callback, …)
    with the JSON object in the body as its parameters. Pass the `version` you read, or the
    detail's ETag in `If-Match`, to be told if someone changed the case in between (409 for
    a stale version, 412 `precondition_failed` for a stale ETag). 409 also when the action is
    not allowed from the case's current state; 403 when the caller's role may not take it.
    The answer is the case after the action, with its new ETag."""
    user = request.auth
    params = json_object(request)
    unsupported = sorted(UNSUPPORTED_PARAMETERS & set(params))
    if unsupported:
        raise InvalidInput(
            "操作参数不能带照片，请用 POST /cases/{ref}/photos（multipart）上传",
            dict.fromkeys(unsupported, "unsupported"),
        )
    version = if_match_version(request, user, ref)
    if version is not None:
        params.setdefault("version", version)
    with acting_as(user, "api"):
        case = actions.run_action(ref, action.value, user, params)
    # Fetched by key, not through restrict(): the caller has just acted on this case, and
    # an action may move it out of their sight (a unit returning it) without undoing that.
    # lint: allow-unrestricted (the case just acted on; see above)
    after = with_details(Case.objects.filter(pk=case.pk), user).get()
    response["ETag"] = case_etag(after, user)
    return detail_out(after, user, request)


def if_match_version(request: Any, user: Any, ref: str) -> int | None:
    """With an If-Match header: 412 unless it names the case's current ETag, else the version
    it stands for, which the action then checks again inside its transaction (a change in
    between is the action's 409). None without the header."""
    if "If-Match" not in request.headers:
        return None
    case = lookup(annotated(visible(user)), ref)
    check_if_match(request, case_etag(case, user))
    return case.version
