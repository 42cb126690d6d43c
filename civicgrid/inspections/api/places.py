"""/api/v1/inspections/: places under supervision and the street's checklists.

Reads go through `restrict()` (a row outside the caller's scope is a 404, a list leaves it out);
the list's parameters mean what inspections.filters.PlaceFilterSet says (the list page shares
it). The responsible person's phone prints masked. Writes go through
inspections.actions.places, which decide who may write (their scope checks)."""

from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import InvalidInput
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import (
    NOT_MODIFIED,
    READ_ERRORS,
    WRITE_ERRORS,
    LocalDateTime,
    StrictBody,
    check_if_match,
    get_by_id,
    make_etag,
    not_modified,
)
from civicgrid.geo.models import Building
from civicgrid.orgs.models import Unit
from civicgrid.residents.models import Flat

from .. import filters
from ..actions.places import revise_checklist, save_place
from ..choices import HazardSource, PlaceKind, RiskLevel, Severity
from ..models import Checklist, Place

router = Router(tags=["inspections"])

MASKED = "打码显示；完整值仅在场所页面查看（留痕）"
# Fields a PATCH may clear with null: to None, or to blank (text columns hold no NULL).
NULL_TO_NONE = frozenset({"building", "flat", "lon", "lat", "area_m2", "unit"})
NULL_TO_BLANK = frozenset({"address", "responsible_name", "responsible_phone", "note"})


class Ref(Schema):
    id: int
    name: str


class PlaceOut(Schema):
    id: int
    kind: PlaceKind
    kind_label: str
    name: str
    address: str
    street: Ref
    grid: Ref | None
    building: int | None
    flat: int | None
    lon: float | None
    lat: float | None
    area_m2: float | None
    unit: Ref | None
    responsible_name: str
    responsible_phone: str = Field(description=MASKED)
    risk: RiskLevel
    note: str
    active: bool
    version: int
    updated_at: LocalDateTime


class PlacePage(PageOut):
    results: list[PlaceOut]


class PlaceIn(StrictBody):
    kind: PlaceKind
    name: str = Field(max_length=100)
    address: str = Field("", max_length=200)
    building: int | None = Field(None, ge=1, le=MAX_ID, description="楼栋 id：场所归入其网格")
    flat: int | None = Field(None, ge=1, le=MAX_ID, description="房屋 id（同时确定楼栋）")
    lon: float | None = Field(None, ge=-180, le=180, description="无楼栋时按经纬度定位")
    lat: float | None = Field(None, ge=-90, le=90)
    area_m2: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    unit: int | None = Field(None, ge=1, le=MAX_ID, description="责任单位 id")
    responsible_name: str = Field("", max_length=50)
    responsible_phone: str = Field("", max_length=30)
    risk: RiskLevel = RiskLevel.LOW
    note: str = Field("", max_length=200)
    active: bool = True


class PlacePatch(StrictBody):
    """Only the fields given change. `version`: the one read (409 if stale); or If-Match."""

    version: int | None = None
    kind: PlaceKind | None = None
    name: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=200)
    building: int | None = Field(None, ge=1, le=MAX_ID)
    flat: int | None = Field(None, ge=1, le=MAX_ID)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    area_m2: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    unit: int | None = Field(None, ge=1, le=MAX_ID)
    responsible_name: str | None = Field(None, max_length=50)
    responsible_phone: str | None = Field(None, max_length=30)
    risk: RiskLevel | None = None
    note: str | None = Field(None, max_length=200)
    active: bool | None = None


class PlaceListFilters(Schema):
    q: str | None = Field(None, max_length=100, description="名称或地址中的文字")
    kind: PlaceKind | None = None
    risk: RiskLevel | None = None
    area: str | None = Field(None, description="区域编码（街道、居民区或网格，含其下各级）")
    active: bool | None = None
    open_orders: bool | None = Field(None, description="true：有未完成的整改通知")

    def params(self) -> dict[str, Any]:
        return {
            k: str(getattr(v, "value", v)).lower() if isinstance(v, bool) else getattr(v, "value", v)
            for k, v in self.model_dump(exclude_none=True).items()
        }


class ChecklistItemOut(Schema):
    position: int
    code: str
    text: str
    severity: Severity
    rule: str
    hazard: str


class ChecklistOut(Schema):
    id: int
    street: Ref
    place_kind: PlaceKind
    revision: int
    title: str
    current: bool
    change_note: str
    created_at: LocalDateTime


class ChecklistDetailOut(ChecklistOut):
    items: list[ChecklistItemOut]


class ChecklistPage(PageOut):
    results: list[ChecklistOut]


class ItemIn(StrictBody):
    code: str = Field(max_length=16)
    text: str = Field(max_length=300)
    severity: Severity = Severity.GENERAL
    rule: str = Field("", max_length=200)
    hazard: HazardSource | None = None


class ReviseIn(StrictBody):
    items: list[ItemIn] = Field(min_length=1, description="新版本的全部检查项（编码不得重复）")
    change_note: str = Field(max_length=200)
    title: str | None = Field(None, max_length=100)


# ---------------------------------------------------------------------------- output


def _ref(area: Any) -> dict[str, Any] | None:
    return {"id": area.pk, "name": area.name} if area is not None else None


def place_out(place: Place) -> dict[str, Any]:
    return {
        "id": place.pk,
        "kind": place.kind,
        "kind_label": place.get_kind_display(),
        "name": place.name,
        "address": place.address,
        "street": _ref(place.street),
        "grid": _ref(place.grid),
        "building": place.building_id,
        "flat": place.flat_id,
        "lon": place.lon,
        "lat": place.lat,
        "area_m2": float(place.area_m2) if place.area_m2 is not None else None,
        "unit": _ref(place.unit),
        "responsible_name": place.responsible_name,
        "responsible_phone": str(place.responsible_phone),  # a PersonalValue: masked as text
        "risk": place.risk,
        "note": place.note,
        "active": place.active,
        "version": place.version,
        "updated_at": place.updated_at,
    }


def checklist_out(checklist: Checklist) -> dict[str, Any]:
    return {
        "id": checklist.pk,
        "street": _ref(checklist.street),
        "place_kind": checklist.place_kind,
        "revision": checklist.revision,
        "title": checklist.title,
        "current": checklist.current,
        "change_note": checklist.change_note,
        "created_at": checklist.created_at,
    }


def checklist_detail_out(checklist: Checklist) -> dict[str, Any]:
    items = [
        {k: getattr(i, k) for k in ("position", "code", "text", "severity", "rule", "hazard")}
        for i in checklist.items.all()
    ]
    return {**checklist_out(checklist), "items": items}


# ---------------------------------------------------------------------------- places


def _places(user: Any) -> Any:
    return Place.objects.restrict(user, Action.VIEW).select_related("street", "grid", "unit")


def _refs(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Ids of the body as rows the caller may see; else 400 naming the field."""
    out = dict(data)
    for field, qs in (
        ("building", Building.objects.restrict(user, Action.VIEW)),
        ("flat", Flat.objects.restrict(user, Action.VIEW).select_related("building")),
        ("unit", Unit.objects.restrict(user, Action.VIEW)),
    ):
        pk = out.get(field)
        if pk is None:
            continue
        found = qs.filter(pk=pk).first()  # type: ignore[attr-defined]
        if found is None:
            raise InvalidInput(f"{field}：{pk} 不存在或不在你的管辖范围内", {field: "unknown"})
        out[field] = found
    return out


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: getattr(v, "value", v) for k, v in data.items()}


@router.get("/places", response={200: PlacePage, **READ_ERRORS}, summary="检查场所列表")
def list_places(
    request: Any,
    params: Annotated[PlaceListFilters, Query()],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The places in the caller's scope, narrowed like the list page."""
    qs = filters.places(request.auth, params.params()).select_related("street", "grid", "unit")
    return paginate(qs.order_by("kind", "name", "id"), page, page_size, place_out)


@router.get(
    "/places/{place_id}", response={200: PlaceOut, **NOT_MODIFIED, **READ_ERRORS}, summary="检查场所详情"
)
def get_place(request: Any, response: HttpResponse, place_id: int) -> Any:
    """One place. ETag / If-None-Match → 304."""
    place = get_by_id(_places(request.auth), place_id)
    if not_modified(request, response, make_etag(place)):
        return Status(304, None)
    return place_out(place)


@router.post("/places", response={201: PlaceOut, **WRITE_ERRORS}, summary="新增检查场所")
def create_place(request: Any, response: HttpResponse, payload: PlaceIn) -> Status[dict[str, Any]]:
    """A new place, in the grid of its building (or flat), else where its position lies."""
    user = request.auth
    data = _refs(user, _plain(payload.dict()))
    with acting_as(user, "api"):
        place = save_place(user, **data)
    place = get_by_id(_places(user), place.pk)
    response["ETag"] = make_etag(place)
    return Status(201, place_out(place))


@router.patch("/places/{place_id}", response={200: PlaceOut, **WRITE_ERRORS}, summary="修改检查场所")
def update_place(request: Any, response: HttpResponse, place_id: int, payload: PlacePatch) -> dict[str, Any]:
    """Only the fields given change. A stale `version` is 409; a stale If-Match 412."""
    user = request.auth
    place = get_by_id(_places(user), place_id)
    check_if_match(request, make_etag(place))
    version = payload.version
    if version is None and "If-Match" in request.headers:
        version = place.version
    changes = _plain(payload.dict(exclude_unset=True))
    changes.pop("version", None)
    nulls = sorted(k for k, v in changes.items() if v is None and k not in NULL_TO_NONE | NULL_TO_BLANK)
    if nulls:
        raise InvalidInput("这些字段不能为 null：" + "、".join(nulls), dict.fromkeys(nulls, "invalid"))
    changes = {k: "" if v is None and k in NULL_TO_BLANK else v for k, v in changes.items()}
    # A client sending back the masked phone it read keeps the number on file.
    if changes.get("responsible_phone") and changes["responsible_phone"] == place.responsible_phone.masked:
        del changes["responsible_phone"]
    with acting_as(user, "api"):
        save_place(user, place=place, version=version, **_refs(user, changes))
    place = get_by_id(_places(user), place_id)
    response["ETag"] = make_etag(place)
    return place_out(place)


# ---------------------------------------------------------------------------- checklists


def _checklists(user: Any) -> Any:
    return Checklist.objects.restrict(user, Action.VIEW).select_related("street")


@router.get("/checklists", response={200: ChecklistPage, **READ_ERRORS}, summary="检查表（现行版本）")
def list_checklists(
    request: Any,
    place_kind: Annotated[PlaceKind | None, Query(description="场所类型")] = None,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The current revision of each checklist the caller may see."""
    qs = _checklists(request.auth).current()
    if place_kind is not None:
        qs = qs.filter(place_kind=place_kind.value)
    return paginate(qs.order_by("street_id", "place_kind", "id"), page, page_size, checklist_out)


@router.get(
    "/checklists/{checklist_id}",
    response={200: ChecklistDetailOut, **READ_ERRORS},
    summary="检查表详情（含检查项）",
)
def get_checklist(request: Any, checklist_id: int) -> dict[str, Any]:
    """One revision (current or old) with its items."""
    return checklist_detail_out(get_by_id(_checklists(request.auth), checklist_id))


@router.post(
    "/checklists/{checklist_id}/revise",
    response={201: ChecklistDetailOut, **WRITE_ERRORS},
    summary="修订检查表（生成新版本）",
)
def revise(request: Any, checklist_id: int, payload: ReviseIn) -> Status[dict[str, Any]]:
    """Writes the next revision from the current one `checklist_id`; the old one is kept.
    409 if it is no longer current (someone revised it first)."""
    user = request.auth
    checklist = get_by_id(_checklists(user), checklist_id)
    items = [_plain(i.dict()) for i in payload.items]
    with acting_as(user, "api"):
        new = revise_checklist(
            user, checklist, items=items, change_note=payload.change_note, title=payload.title
        )
    return Status(201, checklist_detail_out(get_by_id(_checklists(user), new.pk)))
