"""Shapes of the area, building and layer-grid endpoints of /api/v1/ (geo/api.py).

Areas are named by code everywhere (`{"code", "name"}`, core.rest.AreaRef); geometries are
GeoJSON (WGS84 lon/lat) and only sent when asked for (`?geometry=true`): a street's polygon
can be large and most clients only need the names.
"""

from typing import Any

from ninja import Schema
from pydantic import Field

from civicgrid.core.pagination import PageOut
from civicgrid.core.rest import AreaRef, LocalDateTime

GEOMETRY_HELP = "GeoJSON 边界（WGS84）；仅在 ?geometry=true 时返回，否则为 null"


class AreaOut(Schema):
    code: str
    name: str
    kind: str = Field(description="district 区 / street 街道 / residential 居民区 / grid 网格")
    kind_label: str
    parent: AreaRef | None
    street: AreaRef | None = Field(description="所属街道（街道本身为自己，区为空）")
    path: list[str] = Field(description="从根到本区域的编码")
    description: str
    geometry: dict[str, Any] | None = Field(default=None, description=GEOMETRY_HELP)
    updated_at: LocalDateTime


class AreaPage(PageOut):
    results: list[AreaOut]


class BuildingOut(Schema):
    id: int
    address: str
    normalized_address: str = Field(description="规范地址（全角数字、空格已统一）")
    name: str
    lon: float
    lat: float
    street: AreaRef | None
    residential_area: AreaRef | None
    grid: AreaRef | None
    floors: int | None
    households: int | None
    built_year: int | None
    updated_at: LocalDateTime


class BuildingPage(PageOut):
    results: list[BuildingOut]


class LayerGridOut(Schema):
    id: int
    layer: str = Field(description="police 警务 / urban 城管 / party 党建 / other 其他")
    layer_label: str
    code: str
    name: str
    street: AreaRef
    comprehensive_grids: list[AreaRef] = Field(description="对应的综合网格（多格合一；仅列出调用者可见的）")
    geometry: dict[str, Any] | None = Field(default=None, description=GEOMETRY_HELP)
    updated_at: LocalDateTime


class LayerGridPage(PageOut):
    results: list[LayerGridOut]
