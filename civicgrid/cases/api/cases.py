"""Cases: register, list (the case filter), read one (ETag, reveal), and its timeline."""

from typing import Annotated, Any

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse
from ninja import Query, Router, Status

from civicgrid.core import privacy
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageSize, paginate
from civicgrid.core.querysets import user_scope
from civicgrid.core.rest import NOT_MODIFIED, READ_ERRORS, WRITE_ERRORS, not_modified
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.geo.services import PlaceRef

from .. import actions
from ..actions import CaseInput
from ..choices import CaseAction
from ..filters import filter_cases
from ..intake import suggest
from ..models import Case, CaseEvent
from ..personal import reveal_personal
from ..public import public_case, public_events, public_step, reads_public_view
from ..schemas import (
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CasePage,
    EventPage,
    PublicCaseOut,
    PublicCasePage,
    PublicStepPage,
    Reveal,
)
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
    public_out,
    step_out,
    visible,
)
from .filters import CaseListFilters

router = Router(tags=["cases"])


@router.post(
    "/cases",
    response={201: CaseOut | PublicCaseOut, **WRITE_ERRORS},
    summary="登记工单",
    operation_id=op("create_case"),
)
def create_case(request: Any, payload: CaseIn) -> Status[dict[str, Any]]:
    """Registers a case through `actions.create_case`: locates it, numbers it, routes it and
    computes its deadlines. A location outside the caller's streets is refused (400); one that
    nothing places inside the case's street (`street`, else the caller's only street) is
    registered there to be located (place_status `to_locate`).
    A resident's token gets the public view of the new case (PublicCaseOut)."""
    user = request.auth
    data = payload.dict()
    for name in ("request_type", "channel", "urgency"):
        data[name] = str(getattr(data[name], "value", data[name]))
    if data["received_at"] is not None:
        data["received_at"] = local_time(data["received_at"])
    if data["street"] is not None:
        data["street"] = _street(user, data["street"])
    if not (data["category"] or "").strip():
        raise _missing_category(user, data)
    with acting_as(user, "api"):
        case = actions.create_case(CaseInput(**data), user, via="api", in_own_street=True)
    # lint: allow-unrestricted (the case the caller has just created)
    case = Case.objects.select_related(*CASE_RELATED).get(pk=case.pk)
    return Status(201, public_out(public_case(case)) if reads_public_view(user) else case_out(case, user))


def _missing_category(user: Any, data: dict[str, Any]) -> InvalidInput:
    """400 naming the category, with the street's intake suggestion when it has a model (the
    client resends with the category it chooses: nothing is registered on a guess)."""
    declared = data["street"]
    text = f"{data.get('title') or ''}\n{data['description']}"
    street = (
        Area.objects.restrict(user, Action.VIEW).filter(pk=declared.id).first()
        if declared is not None
        else suggest.for_desk(user, text, data.get("address") or "")[1]
    )
    found = suggest.hint(text, street)
    message = "缺少问题分类（category）" + (f"；{found}" if found else "")
    return InvalidInput(message, {"category": "required"})


def _street(user: Any, code: str) -> PlaceRef:
    """The street a new case belongs to, by code, among the caller's streets (400 otherwise)."""
    scope = user_scope(user)
    street = (
        Area.objects.restrict(user, Action.VIEW)
        .filter(kind=AreaKind.STREET, code=code, pk__in=scope.street_ids if scope else [])
        .first()
    )
    if street is None:
        raise InvalidInput(f"街道“{code}”不存在或不在你管辖的街道内", {"street": "unknown"})
    return PlaceRef.of(street)


@router.get(
    "/cases",
    response={200: CasePage | PublicCasePage, **READ_ERRORS},
    summary="工单列表",
    operation_id=op("list_cases"),
)
def list_cases(
    request: Any,
    filters: Query[CaseListFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The caller's cases under the case filter (cases.filters), newest first. A resident's
    token lists their own reports in the public view (PublicCaseOut)."""
    user = request.auth
    qs = filter_cases(visible(user), filters.params(), user=user)
    qs = qs.select_related(*CASE_RELATED).order_by("-received_at", "-id")
    if reads_public_view(user):
        qs = qs.prefetch_related(Prefetch("events", queryset=public_events(CaseEvent.objects.all())))
        return paginate(qs, page, page_size, lambda case: public_out(public_case(case)))
    return paginate(qs, page, page_size, lambda case: case_out(case, user))


@router.get(
    "/cases/{ref}",
    response={200: CaseDetailOut | PublicCaseOut, **NOT_MODIFIED, **READ_ERRORS},
    summary="工单详情",
    operation_id=op("get_case"),
)
def get_case(
    request: Any,
    response: HttpResponse,
    ref: str,
    reveal: Annotated[
        Reveal | None,
        Query(
            description=(
                "phone：调度员和管理员取完整的诉求人电话；description：取未打码的诉求内容和标题"
                "（每次都记入个人信息查看记录，须给出 reason）"
            )
        ),
    ] = None,
    reason: Annotated[
        str, Query(max_length=privacy.REASON_MAX, description="reveal 的事由（必填），如“回访诉求人”")
    ] = "",
) -> Any:
    """`ref` is the case id or its number. Cases outside the caller's scope are 404.
    The reporter's phone, and phones, ID numbers and plates in the description and title, are
    masked unless `reveal=phone` / `reveal=description` is asked by a role that needs it
    (dispatchers, administrators) with a `reason` (400 naming it without one); each such read
    is logged with the reason. Other roles get the masked text, and nothing is logged. A
    resident's token gets the public view (PublicCaseOut).

    Answers with an ETag; a matching If-None-Match gets 304 before the timeline and the other
    records are even read. A `reveal=phone` read is never a 304: each one is logged."""
    user = request.auth
    case = lookup(annotated(visible(user)), ref)
    if reads_public_view(user):
        # A merged case reads as its master, whose changes do not bump this case's version.
        if not_modified(request, response, case_etag(case, user, "public", case.master)):
            return Status(304, None)
        return public_out(public_case(case))
    revealing = reveal is not None
    fresh = not_modified(request, response, case_etag(case, user, *([reveal] if revealing else [])))
    if fresh and not revealing:
        return Status(304, None)
    if revealing:
        response["Cache-Control"] = "private, no-store"  # personal data in full is kept nowhere
    prefetch_related_objects([case], *detail_prefetches(user))
    out = detail_out(case, user, request)
    if revealing and privacy.may_reveal_phone(user):
        if reveal == Reveal.PHONE and case.reporter_phone:
            out["reporter"]["phone"] = reveal_personal(
                user, case, Reveal.PHONE, privacy.RevealVia.API, reason
            )
        elif reveal == Reveal.DESCRIPTION:
            out["description"] = reveal_personal(
                user, case, Reveal.DESCRIPTION, privacy.RevealVia.API, reason
            )
            out["title"] = case.title
    return out


@router.get(
    "/cases/{ref}/events",
    response={200: EventPage | PublicStepPage, **READ_ERRORS},
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
    """The case's timeline, oldest first (the detail carries it whole; this pages through it).
    A resident's token gets the public steps only (PublicStepOut), as on the tracking page."""
    user = request.auth
    case = case_for_records(user, ref)
    qs = CaseEvent.objects.restrict(user, Action.VIEW).filter(case=case)
    if action:
        qs = qs.filter(action=action)
    if reads_public_view(user):
        return paginate(public_events(qs), page, page_size, lambda e: step_out(public_step(e)))
    return paginate(qs.select_related("unit").order_by("at", "id"), page, page_size, event_out)
