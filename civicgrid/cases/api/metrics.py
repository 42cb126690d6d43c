"""`GET /metrics`: the figures of cases.metrics; `metrics_payload` is the answer shape that
insights' `GET /insights/metrics` shares."""

from datetime import date
from typing import Annotated, Any

from ninja import Query, Router

from civicgrid.core.db_router import reading_from_replica
from civicgrid.core.rest import READ_ERRORS

from .. import metrics
from ..errors import InvalidInput
from ..schemas import MetricsOut
from .common import op

router = Router(tags=["cases"])


METRIC_FIELDS = {"date_from": "from", "date_to": "to"}


@router.get(
    "/metrics",
    response={200: MetricsOut, **READ_ERRORS},
    summary="三率与工单统计",
    operation_id=op("get_metrics"),
)
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
    """The figures of cases.metrics over the caller's scope (definitions: docs/metrics.md)."""
    return metrics_payload(request.auth, metrics, street, date_from, date_to, group_by, category)


def metrics_payload(
    user: Any,
    source: Any,
    street: str | None,
    date_from: date | None,
    date_to: date | None,
    group_by: str,
    category: str | None,
) -> dict[str, Any]:
    """One answer shape for every metrics endpoint: `source` is a module with compute() of
    cases.metrics' signature (cases.metrics live, insights.metrics from rollups)."""
    try:
        with reading_from_replica():  # a dashboard read: replication lag is fine
            rows = source.compute(
                user,
                street=street,
                date_from=date_from,
                date_to=date_to,
                group_by=group_by,
                category=category,
            )
    except InvalidInput as exc:
        # Name the query parameters as the client wrote them.
        exc.fields = {METRIC_FIELDS.get(k, k): v for k, v in exc.fields.items()}
        raise
    return {
        "group_by": group_by,
        "street": street,
        "date_from": date_from.isoformat() if date_from else None,
        "date_to": date_to.isoformat() if date_to else None,
        "results": rows,
        "total": metrics.total_of(rows),  # = source.summary() of the same filters, without its query
    }
