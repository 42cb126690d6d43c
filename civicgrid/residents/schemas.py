"""Shapes of the registry API (/api/v1/residents/), documented in the OpenAPI schema.

Personal fields (ID numbers, phones, notes) are always the masked form (`310***********1234`,
`138****5678`); the full value only through `POST /persons/{id}/reveal` with a reason (logged).
Sensitive care tags (社区矫正、安置帮教、大病) appear only to those whose capability allows them,
each one returned logged as a look; everyone else sees `has_care_needs` at most.
Bodies refuse unknown fields (400 naming them); dates are ISO 8601 (`2026-12-03`).
"""

from datetime import date
from decimal import Decimal

from django.db import models
from ninja import Schema
from pydantic import Field

from civicgrid.core import privacy
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.pagination import PageOut
from civicgrid.core.rest import LocalDateTime, StrictBody

from .choices import (
    CareKind,
    DocumentType,
    Employment,
    FlatUse,
    Relation,
    ResidenceStatus,
    Sex,
    Tenure,
)

MASKED = "打码显示；完整值经 POST /residents/persons/{id}/reveal（须说明事由，留痕）"


# ---------------------------------------------------------------------------- references


class BuildingRef(Schema):
    id: int
    address: str


class FlatRef(Schema):
    id: int
    room: str
    building: BuildingRef


class PersonRef(Schema):
    id: int
    name: str


# ---------------------------------------------------------------------------- flats


class FlatOut(Schema):
    id: int
    building: BuildingRef
    room: str
    floor: int | None
    use: FlatUse
    use_label: str
    area_m2: float | None
    owner_name: str
    owner_phone: str = Field(description=MASKED)
    note: str
    version: int
    updated_at: LocalDateTime


class HouseholdBrief(Schema):
    id: int
    tenure: Tenure
    head: PersonRef | None
    moved_in: date | None
    moved_out: date | None
    current: bool


class FlatDetailOut(FlatOut):
    households: list[HouseholdBrief] = Field(description="住在此房屋的住户（含已迁出的，最近的在前）")


class FlatPage(PageOut):
    results: list[FlatOut]


class FlatIn(StrictBody):
    building: int = Field(ge=1, le=MAX_ID, description="楼栋 id（GET /buildings）")
    room: str = Field(max_length=32, description="室号，如 101")
    floor: int | None = Field(None, ge=-10, le=300)
    use: FlatUse = FlatUse.OWNER
    area_m2: Decimal | None = Field(None, ge=0, max_digits=7, decimal_places=2, description="建筑面积（㎡）")
    owner_name: str = Field("", max_length=50)
    owner_phone: str = Field("", max_length=30)
    note: str = Field("", max_length=200)


class FlatPatch(StrictBody):
    """Only the fields given change. `version`: the one read (409 if stale); or If-Match."""

    version: int | None = None
    room: str | None = Field(None, max_length=32)
    floor: int | None = Field(None, ge=-10, le=300)
    use: FlatUse | None = None
    area_m2: Decimal | None = Field(None, ge=0, max_digits=7, decimal_places=2)
    owner_name: str | None = Field(None, max_length=50)
    owner_phone: str | None = Field(None, max_length=30)
    note: str | None = Field(None, max_length=200)


# ---------------------------------------------------------------------------- care tags


class CareTagOut(Schema):
    id: int
    person: PersonRef
    kind: CareKind
    label: str = Field(description="类别名称（自定义类别为街道所定名称，残疾带等级）")
    local_kind: str | None = Field(description="街道自定义类别的编码（kind=local 时）")
    disability_grade: int | None
    starts_on: date
    ends_on: date | None
    active: bool = Field(description="今天是否有效")
    sensitive: bool = Field(description="敏感类别：每次返回都记入个人信息查看记录")
    note: str = Field(description=MASKED)
    version: int


class CareTagIn(StrictBody):
    person: int = Field(ge=1, le=MAX_ID)
    kind: CareKind
    starts_on: date
    ends_on: date | None = None
    disability_grade: int | None = Field(None, ge=1, le=4, description="残疾等级 1–4（仅残疾类别）")
    local_kind: str | None = Field(
        None, max_length=32, description="街道自定义类别的编码（kind=local 时必填）"
    )
    note: str = Field("", max_length=500)


class CareTagEnd(StrictBody):
    ends_on: date
    version: int | None = None


# ---------------------------------------------------------------------------- persons


class HouseholdRef(Schema):
    id: int
    flat: FlatRef


class PersonOut(Schema):
    id: int
    name: str
    sex: Sex | None
    birth_date: date | None
    age_band: str | None = Field(description="高龄：80、90、100（按出生日期计算），否则 null")
    id_type: DocumentType
    id_number: str = Field(description=MASKED)
    phone: str = Field(description=MASKED)
    relation: Relation
    residence: ResidenceStatus
    employment: Employment | None
    employer: str
    notes: str = Field(description=MASKED)
    household: HouseholdRef | None
    has_care_needs: bool = Field(description="有无有效的关爱对象标签（任何类别，不说明是哪一类）")
    care_tags: list[CareTagOut] = Field(description="调用者可见的有效标签")
    version: int
    updated_at: LocalDateTime


class PersonPage(PageOut):
    results: list[PersonOut]


class _PersonFields(StrictBody):
    name: str | None = Field(None, max_length=50)
    sex: Sex | None = None
    birth_date: date | None = None
    id_type: DocumentType | None = None
    id_number: str | None = Field(None, max_length=40, description="居民身份证须通过校验位检查")
    phone: str | None = Field(None, max_length=30)
    relation: Relation | None = None
    residence: ResidenceStatus | None = None
    employment: Employment | None = None
    employer: str | None = Field(None, max_length=100)
    notes: str | None = Field(None, max_length=1000)


class PersonIn(_PersonFields):
    household: int = Field(ge=1, le=MAX_ID, description="住户 id")
    name: str = Field(max_length=50)  # type: ignore[assignment]
    moved_in: date | None = Field(None, description="迁入日期（默认住户的迁入日期）")


class PersonPatch(_PersonFields):
    """Only the fields given change. `version`: the one read (409 if stale); or If-Match."""

    version: int | None = None


class MoveIn(StrictBody):
    household: int = Field(ge=1, le=MAX_ID, description="迁入的住户 id")
    relation: Relation
    on: date
    reason: str = Field("", max_length=200)


class MoveOut(StrictBody):
    on: date
    reason: str = Field("", max_length=200)
    deceased: bool = Field(False, description="死亡注销")


class RevealField(models.TextChoices):
    ID_NUMBER = "id_number", "证件号码"
    PHONE = "phone", "联系电话"
    NOTES = "notes", "备注（敏感）"


class RevealIn(StrictBody):
    field: RevealField
    reason: str = Field("", max_length=privacy.REASON_MAX, description="查看事由（必填），如“核实情况”")


class RevealOut(Schema):
    value: str


# ---------------------------------------------------------------------------- households


class ResidenceOut(Schema):
    person: PersonRef
    relation: Relation
    moved_in: date
    moved_out: date | None
    reason: str


class HouseholdMemberOut(Schema):
    id: int
    name: str
    relation: Relation
    sex: Sex | None
    birth_date: date | None
    residence: ResidenceStatus


class HouseholdOut(Schema):
    id: int
    flat: FlatRef
    tenure: Tenure
    head: PersonRef | None
    moved_in: date | None
    moved_out: date | None
    current: bool
    has_care_needs: bool = Field(description="住户中有无关爱对象（不说明是谁、哪一类）")
    note: str
    version: int
    updated_at: LocalDateTime


class HouseholdDetailOut(HouseholdOut):
    members: list[HouseholdMemberOut] = Field(description="现住成员")
    history: list[ResidenceOut] = Field(description="迁入迁出记录，最早的在前")


class HouseholdPage(PageOut):
    results: list[HouseholdOut]


class HouseholdIn(StrictBody):
    flat: int = Field(ge=1, le=MAX_ID, description="房屋 id")
    tenure: Tenure = Tenure.OWNER
    moved_in: date | None = Field(None, description="迁入日期（默认今天）")
    note: str = Field("", max_length=200)


class CareTagPage(PageOut):
    results: list[CareTagOut]
