"""The query parameters of `GET /cases` and of the figures, as ninja documents and validates
them; what they mean is cases.filters.CaseFilterSet's (the workbench, the export and the
figures share it)."""

from datetime import date
from enum import StrEnum
from typing import Any

from ninja import Schema
from pydantic import Field

from ..choices import Channel, PlaceStatus, RequestType, Urgency
from ..figures import FIGURES

# The figures' names as an enum: documented in the OpenAPI schema, a wrong one is a 422.
Figure = StrEnum("Figure", {name: name for name in FIGURES})  # type: ignore[misc]


class CaseListFilters(Schema):
    status: list[str] | None = Field(None, description="状态，可重复或逗号分隔：status=new&status=filed")
    street: str | None = Field(None, description="街道编码")
    grid: str | None = Field(None, description="网格编码")
    category: str | None = Field(None, description="问题分类编码（含下级分类）")
    overdue: bool | None = Field(None, description="true：已超期；false：未超期")
    received_from: str | None = Field(None, description="受理时间起（日期或 ISO 8601 时间，含）")
    received_to: str | None = Field(None, description="受理时间止（含；日期则含当天）")
    channel: Channel | None = None
    request_type: RequestType | None = None
    q: str | None = Field(None, description="编号、标题、内容、地址中的文字")
    urgency: Urgency | None = None
    residential_area: str | None = Field(None, description="居民区编码")
    area: str | None = Field(None, description="任一级区域编码（含其下各级）")
    lead_unit: int | None = Field(None, description="主办单位 id")
    place_status: PlaceStatus | None = Field(None, description="to_locate：待定位；located：已定位")
    grid_conflict: bool | None = Field(None, description="true：定位点与楼栋不在同一网格，待选定")
    figure: Figure | None = Field(None, description="统计口径：某个统计数字背后的工单（见 docs/metrics.md）")
    building: int | None = Field(None, ge=1, description="楼栋 id")
    address: str | None = Field(None, max_length=200, description="事发地址（完全一致）")
    ids: str | None = Field(None, description="工单编号，逗号分隔，最多 500 个（如热点话题的工单）")

    def params(self) -> dict[str, Any]:
        """The parameters for CaseFilterSet (a time stands for its day in Asia/Shanghai)."""
        return self.model_dump(exclude_none=True)


class MetricsQuery(Schema):
    """`GET /metrics` and `GET /insights/metrics`: one set of parameters for both sources."""

    street: str | None = Field(None, description="街道编码")
    date_from: date | None = Field(None, alias="from", description="受理日期起（含）")
    date_to: date | None = Field(None, alias="to", description="受理日期止（含）")
    group_by: str = Field("street", description="street | residential_area | grid | unit | category")
    category: str | None = Field(None, description="问题分类编码（含下级分类）")
