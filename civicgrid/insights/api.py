"""/api/v1/insights/: the dashboard figures from the rollups (mounted by civicgrid.api).

`GET /insights/metrics` takes the parameters of `GET /metrics` and answers in its shape, plus
`as_of` (the last rollup refresh); the caller's scope applies as everywhere (restrict())."""

from datetime import date
from typing import Annotated, Any

from ninja import Query, Router

from civicgrid.cases.api import READ_ERRORS, metrics_payload
from civicgrid.cases.schemas import MetricsOut

from . import metrics

router = Router(tags=["insights"])


class InsightsMetricsOut(MetricsOut):
    as_of: dict[str, Any]


@router.get("/metrics", response={200: InsightsMetricsOut, **READ_ERRORS}, summary="三率与工单统计（汇总表）")
def get_metrics(
    request: Any,
    street: Annotated[str | None, Query(description="街道编码")] = None,
    date_from: Annotated[date | None, Query(alias="from", description="受理日期起（含）")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="受理日期止（含）")] = None,
    group_by: Annotated[
        str, Query(description="street | residential_area | grid | unit | category")
    ] = "street",
    category: Annotated[str | None, Query(description="问题分类编码（含下级分类）")] = None,
) -> dict[str, Any]:
    """The figures of `GET /metrics` (docs/metrics.md) read from the rollups: for city-wide and
    street-wide dashboards. At most one refresh interval old (`as_of`), see docs/metrics.md."""
    return {
        **metrics_payload(request.auth, metrics, street, date_from, date_to, group_by, category),
        "as_of": metrics.freshness(),
    }
