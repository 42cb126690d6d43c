"""The category tree with its default deadlines, and the duty table (routing rules)."""

import dataclasses
from typing import Annotated, Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpResponse
from ninja import Query, Router, Status

from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageSize, paginate
from civicgrid.core.rest import MAX_ID, NOT_MODIFIED, READ_ERRORS, get_by_id, make_etag, not_modified
from civicgrid.core.scope import user_scope
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from .. import deadlines
from ..choices import RequestType
from ..models import Category, DutyRule
from ..schemas import CategoryOut, DutyOut, DutyPage
from .common import op, unit_ref

router = Router(tags=["cases"])


def duty_out(rule: DutyRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "category": {"code": rule.category.code, "name": rule.category.label},
        "area": {"code": rule.area.code, "name": rule.area.name},
        "area_kind": rule.area.kind,
        "lead_unit": unit_ref(rule.lead_unit),
        "co_units": [unit_ref(u) for u in rule.co_units.all()],
        "is_active": rule.is_active,
        "note": rule.note,
        "updated_at": rule.updated_at,
    }


def _duties(user: Any) -> QuerySet[DutyRule]:
    return (
        DutyRule.objects.restrict(user, Action.VIEW)
        .select_related("category", "area", "lead_unit")
        .defer("area__geometry")
        .prefetch_related(Prefetch("co_units", queryset=Unit.objects.order_by("name", "id")))
    )


@router.get(
    "/duties",
    response={200: DutyPage, **READ_ERRORS},
    summary="职责分工（派单规则）",
    operation_id=op("list_duties"),
)
def list_duties(
    request: Any,
    category: Annotated[
        str | None, Query(description="问题分类编码（仅该分类的规则，与分类页面一致）")
    ] = None,
    area: Annotated[str | None, Query(description="区域编码（规则所在的区域）")] = None,
    unit: Annotated[int | None, Query(description="单位 id：作为主办或协办")] = None,
    active: Annotated[bool | None, Query(description="true：启用；false：停用")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The duty table of the caller's streets: in this area, this category goes to this lead
    unit plus co-handlers. Routing takes the most specific area, then category."""
    qs = _duties(request.auth)
    if category:
        qs = qs.filter(category__code=category)
    if area:
        qs = qs.filter(area__code=area)
    if unit is not None and 0 < unit <= MAX_ID:
        qs = qs.filter(Q(lead_unit_id=unit) | Q(pk__in=DutyRule.objects.filter(co_units=unit).values("pk")))
    elif unit is not None:
        qs = qs.none()  # no unit has such an id (and the database's integer could not hold it)
    if active is not None:
        qs = qs.filter(is_active=active)
    return paginate(qs.order_by("area__code", "category__code", "id"), page, page_size, duty_out)


@router.get(
    "/duties/{duty_id}",
    response={200: DutyOut, **NOT_MODIFIED, **READ_ERRORS},
    summary="职责分工详情",
    operation_id=op("get_duty"),
)
def get_duty(request: Any, response: HttpResponse, duty_id: int) -> Any:
    rule = get_by_id(_duties(request.auth), duty_id)
    co_units = list(rule.co_units.all())
    tag = make_etag(rule, rule.category, rule.area, rule.lead_unit, *co_units, [u.pk for u in co_units])
    if not_modified(request, response, tag):
        return Status(304, None)
    return duty_out(rule)


def _deadline_rule(category: Category, request_type: str, conf: deadlines.Policy) -> dict[str, int | None]:
    """What deadlines.compute() applies to a normal-urgency case of this category and type."""
    return dataclasses.asdict(deadlines.rule(category, request_type, conf=conf))


def _street_of(user: Any, code: str | None) -> int | None:
    """The street whose profile sets the deadlines: the one asked for, else the caller's own
    when they work in exactly one, else None (the city default). A code outside the caller's
    scope is refused like an unknown one, so existence does not leak."""
    if not code:
        scope = user_scope(user)
        streets = scope.street_ids if scope is not None else frozenset()
        return next(iter(streets)) if len(streets) == 1 else None
    street = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET, code=code).first()
    if street is None:
        raise InvalidInput(f"街道“{code}”不存在或不在您的范围内", {"street": "invalid_choice"})
    return street.pk


@router.get(
    "/categories",
    response={200: list[CategoryOut], **READ_ERRORS},
    summary="问题分类",
    operation_id=op("list_categories"),
)
def list_categories(
    request: Any,
    street: Annotated[str | None, Query(description="按哪个街道的时限设置；默认为调用者所在街道")] = None,
) -> list[dict[str, Any]]:
    """Active categories with their parent's code and the default deadlines per request type,
    as the street's profile sets them (the caller's own street unless `street` names one in
    scope; the city default for accounts of several streets)."""
    conf = deadlines.policy(_street_of(request.auth, street))
    everything = Category.objects.restrict(request.auth, Action.VIEW).order_by("code").linked()
    by_id = {c.pk: c for c in everything}
    return [
        {
            "code": c.code,
            "name": c.label,
            "parent": by_id[c.parent_id].code if c.parent_id in by_id else None,
            "kind": c.kind,
            "default_request_type": c.default_request_type or None,
            "is_emergency": c.emergency,
            "deadlines": {rt: _deadline_rule(c, rt, conf) for rt in RequestType.values},
        }
        for c in everything
        if c.is_active
    ]
