"""The handling-unit endpoints of /api/v1/ (shapes in orgs.schemas), mounted by civicgrid.api
with the `orgs` token scope.

Reads only, through `Unit.objects.restrict(user, "view")`: a unit outside the caller's scope
is a 404 and lists leave it out. Lists share the pagination of core.pagination; the detail
answers with an ETag (core.rest).
"""

from typing import Annotated, Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from civicgrid.core.choices import Action
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageSize, paginate
from civicgrid.core.rest import NOT_MODIFIED, READ_ERRORS, get_by_id, make_etag, not_modified
from civicgrid.geo.models import Area

from .choices import UnitKind
from .models import Unit
from .schemas import UnitOut, UnitPage

router = Router(tags=["orgs"])


def _ref(area: Area | None) -> dict[str, str] | None:
    return {"code": area.code, "name": area.name} if area is not None else None


def unit_out(unit: Unit) -> dict[str, Any]:
    """`unit` must come from _units() (street, district and the visible jurisdiction loaded)."""
    return {
        "id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "kind_label": unit.get_kind_display(),
        "street": _ref(unit.street),
        "district": _ref(unit.district),
        "contact_person": unit.contact_person,
        "phone": unit.phone,
        "address": unit.address,
        "is_active": unit.is_active,
        "jurisdiction": [_ref(area) for area in unit.jurisdiction.all()],
        "updated_at": unit.updated_at,
    }


def _units(user: Any) -> QuerySet[Unit]:
    # A district-level unit serves other streets too: list only the areas the caller may see.
    visible_areas = Area.objects.restrict(user, Action.VIEW).order_by("code")
    return (
        Unit.objects.restrict(user, Action.VIEW)
        .select_related("street", "district")
        .prefetch_related(Prefetch("jurisdiction", queryset=visible_areas))
    )


@router.get("/units", response={200: UnitPage, **READ_ERRORS}, summary="处置单位列表")
def list_units(
    request: HttpRequest,
    kind: Annotated[UnitKind | None, Query(description="单位类型")] = None,
    street: Annotated[str | None, Query(description="所属街道编码")] = None,
    area: Annotated[
        str | None, Query(description="区域编码：管辖该区域或其上级区域的单位（与区域页面一致）")
    ] = None,
    q: Annotated[str | None, Query(description="编码或名称中的文字")] = None,
    active: Annotated[bool | None, Query(description="true：在用；false：停用")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The units the caller may see (their street's, the district-level ones above it, or
    their own unit for a handler), by code."""
    user = request.auth  # type: ignore[attr-defined]
    qs = _units(user)
    if kind:
        qs = qs.filter(kind=kind)
    if street:
        qs = qs.filter(street__code=street)
    if area:
        place = Area.objects.restrict(user, Action.VIEW).filter(code=area).first()
        # The area and everything above it (its materialised path holds their codes).
        codes = place.path.strip("/").split("/") if place is not None else []
        qs = qs.filter(pk__in=Unit.objects.filter(jurisdiction__code__in=codes).values("pk"))
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text))
    if active is not None:
        qs = qs.filter(is_active=active)
    return paginate(qs.order_by("code"), page, page_size, unit_out)


@router.get(
    "/units/{unit_id}", response={200: UnitOut, **NOT_MODIFIED, **READ_ERRORS}, summary="处置单位详情"
)
def get_unit(request: HttpRequest, response: HttpResponse, unit_id: int) -> Any:
    """404 for a unit outside the caller's scope. Answers 304 to a matching If-None-Match."""
    user = request.auth  # type: ignore[attr-defined]
    unit = get_by_id(_units(user), unit_id)
    areas = list(unit.jurisdiction.all())
    tag = make_etag(unit, unit.street, unit.district, *areas, [a.pk for a in areas])
    if not_modified(request, response, tag):
        return Status(304, None)
    return unit_out(unit)
