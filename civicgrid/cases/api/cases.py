"""Cases: register, list (the case filter), read one (ETag, reveal), and its timeline."""

from typing import Annotated, Any

from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from ninja import Query, Router, Status

from civicgrid.core import privacy
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageSize, paginate
from civicgrid.core.rest import NOT_MODIFIED, READ_ERRORS, WRITE_ERRORS, not_modified

from .. import actions
from ..actions import CaseInput
from ..choices import CaseAction
from ..filters import filter_cases
from ..models import Case, CaseEvent
from ..schemas import CaseDetailOut, CaseIn, CaseOut, CasePage, EventPage, Reveal
from .common import (
    CASE_RELATED,
    annotated,
    case_etag,
    case_for_records,
    case_out,
    detail_out,
    detail_prefetches,
    event_out,
    local_time,
    lookup,
    op,
    visible,
)
from .filters import CaseListFilters

router = Router(tags=["cases"])


@router.post(
    "/cases", response={201: CaseOut, **WRITE_ERRORS}, summary="登记工单", operation_id=op("create_case")
)
def create_case(request: Any, payload: CaseIn) -> Status[dict[str, Any]]:
    """Registers a case through `actions.create_case`: locates it, numbers it, routes it and
    computes its deadlines. A location outside the caller's streets is refused (400)."""
    user = request.auth
    data = payload.dict()
    for name in ("request_type", "channel", "urgency"):
        data[name] = str(getattr(data[name], "value", data[name]))
    if data["received_at"] is not None:
        data["received_at"] = local_time(data["received_at"])
    with acting_as(user, "api"):
        case = actions.create_case(CaseInput(**data), user, via="api")
    return Status(201, case_out(Case.objects.select_related(*CASE_RELATED).get(pk=case.pk), user))


@router.get(
    "/cases", response={200: CasePage, **READ_ERRORS}, summary="工单列表", operation_id=op("list_cases")
)
def list_cases(
    request: Any,
    filters: Query[CaseListFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The caller's cases under the case filter (cases.filters), newest first."""
    user = request.auth
    qs = filter_cases(visible(user), filters.params(), user=user)
    qs = qs.select_related(*CASE_RELATED).order_by("-received_at", "-id")
    return paginate(qs, page, page_size, lambda case: case_out(case, user))


@router.get(
    "/cases/{ref}",
    response={200: CaseDetailOut, **NOT_MODIFIED, **READ_ERRORS},
    summary="工单详情",
    operation_id=op("get_case"),
)
def get_case(
    request: Any,
    response: HttpResponse,
    ref: str,
    reveal: Annotated[
        Reveal | None,
        Query(description="phone：调度员和管理员取完整的诉求人电话（每次都记入个人信息查看记录）"),
    ] = None,
) -> Any:
    """`ref` is the case id or its number. Cases outside the caller's scope are 404.
    The reporter's phone is masked unless `reveal=phone` is asked by a role that needs it
    (dispatchers, administrators); each such read is logged. Other roles get the masked
    phone, and nothing is logged.

    Answers with an ETag; a matching If-None-Match gets 304 before the timeline and the other
    records are even read. A `reveal=phone` read is never a 304: each one is logged."""
    user = request.auth
    case = lookup(annotated(visible(user)), ref)
    revealing = reveal == Reveal.PHONE
    fresh = not_modified(request, response, case_etag(case, user, *(["reveal"] if revealing else [])))
    if fresh and not revealing:
        return Status(304, None)
    if revealing:
        response["Cache-Control"] = "private, no-store"  # a full phone number is kept nowhere
    prefetch_related_objects([case], *detail_prefetches(user))
    out = detail_out(case, user, request)
    if revealing and privacy.may_reveal_phone(user) and case.reporter_phone:
        out["reporter"]["phone"] = privacy.reveal(
            user,
            case,
            privacy.PersonalField.REPORTER_PHONE,
            case.reporter_phone,
            privacy.RevealVia.API,
        )
    return out


@router.get(
    "/cases/{ref}/events",
    response={200: EventPage, **READ_ERRORS},
    summary="工单动态（时间线）",
    operation_id=op("list_events"),
)
def list_events(
    request: Any,
    ref: str,
    action: Annotated[CaseAction | None, Query(description="只看这一种动作")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The case's timeline, oldest first (the detail carries it whole; this pages through it)."""
    user = request.auth
    case = case_for_records(user, ref)
    qs = CaseEvent.objects.restrict(user, Action.VIEW).filter(case=case).select_related("unit")
    if action:
        qs = qs.filter(action=action)
    return paginate(qs.order_by("at", "id"), page, page_size, event_out)
