"""Shapes of the handling-unit endpoints of /api/v1/ (orgs/api.py); `UnitRef` is also how the
work-order endpoints name a unit."""

from ninja import Schema
from pydantic import Field

from civicgrid.core.pagination import PageOut
from civicgrid.core.rest import AreaRef, LocalDateTime


class UnitRef(Schema):
    id: int
    name: str


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    street: AreaRef | None = Field(description="所属街道；区级单位（服务多个街道）为空")
    district: AreaRef
    contact_person: str
    phone: str = Field(description="单位联系电话")
    address: str
    is_active: bool
    jurisdiction: list[AreaRef] = Field(description="管辖区域（仅列出调用者可见的）")
    updated_at: LocalDateTime


class UnitPage(PageOut):
    results: list[UnitOut]
