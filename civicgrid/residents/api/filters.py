"""The query parameters of `GET /residents/persons`, as ninja documents and validates them;
what they mean is residents.filters.PersonFilterSet's (the list page, its export and the counts
share it)."""

from typing import Any

from ninja import Schema
from pydantic import Field

from civicgrid.core.inputs import MAX_ID

from ..choices import AgeBand, Employment, ResidenceStatus, Sex


class PersonListFilters(Schema):
    q: str | None = Field(
        None, max_length=100, description="姓名中的文字，或完整的证件号码、电话（按密文哈希查找）"
    )
    area: str | None = Field(None, description="区域编码（街道、居民区或网格，含其下各级）")
    building: int | None = Field(None, ge=1, le=MAX_ID, description="楼栋 id")
    care: str | None = Field(
        None,
        description=(
            "关爱类别：any（任一类别）或 alone、disability、minimum_income、illness、child、martyr、"
            "correction、released、local；看不到的敏感类别查不到任何人"
        ),
    )
    age: AgeBand | None = Field(None, description="高龄：80、90、100（按出生日期计算）")
    residence: ResidenceStatus | None = None
    employment: Employment | None = None
    sex: Sex | None = None
    current: bool | None = Field(None, description="true：仅现住人员（在住户中且未死亡）")

    def params(self) -> dict[str, Any]:
        """The parameters for PersonFilterSet (enumerations as their codes)."""
        return {k: getattr(v, "value", v) for k, v in self.model_dump(exclude_none=True).items()}
