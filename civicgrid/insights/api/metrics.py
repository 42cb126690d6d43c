"""/api/v1/insights/: the dashboard figures from the rollups (mounted by civicgrid.api).

`GET /insights/metrics` takes the parameters of `GET /metrics` and answers in its shape, plus
`as_of` (the last rollup refresh); the caller's scope applies as everywhere (restrict())."""

from typing import Any

from ninja import Query, Router

from civicgrid.cases.api import READ_ERRORS, metrics_payload
from civicgrid.cases.api.filters import MetricsQuery
from civicgrid.cases.schemas import MetricsOut
from civicgrid.insights import metrics

router = Router(tags=["insights"])


class InsightsMetricsOut(MetricsOut):
    as_of: dict[str, Any]


@router.get("/metrics", response={200: InsightsMetricsOut, **READ_ERRORS}, summary="三率与工单统计（汇总表）")
def get_metrics(request: Any, query: Query[MetricsQuery]) -> dict[str, Any]:
    """The figures of `GET /metrics` (docs/metrics.md) read from the rollups: for city-wide and
    street-wide dashboards. At most one refresh interval old (`as_of`), see docs/metrics.md."""
    return {
        **metrics_payload(request.auth, metrics, query),
        "as_of": metrics.freshness(),
    }
