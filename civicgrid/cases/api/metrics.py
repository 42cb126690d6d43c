"""`GET /metrics`: the figures of cases.metrics; `metrics_payload` is the answer shape that
insights' `GET /insights/metrics` shares."""

from typing import Any

from ninja import Query, Router

from civicgrid.core.db_router import reading_from_replica
from civicgrid.core.rest import READ_ERRORS

from .. import metrics
from ..errors import InvalidInput
from ..schemas import MetricsOut
from .common import op
from .filters import MetricsQuery

router = Router(tags=["cases"])


METRIC_FIELDS = {"date_from": "from", "date_to": "to"}


@router.get(
    "/metrics",
    response={200: MetricsOut, **READ_ERRORS},
    summary="三率与工单统计",
    operation_id=op("get_metrics"),
)
def get_metrics(request: Any, query: Query[MetricsQuery]) -> dict[str, Any]:
    """The figures of cases.metrics over the caller's scope (definitions: docs/metrics.md)."""
    return metrics_payload(request.auth, metrics, query)


def metrics_payload(user: Any, source: Any, query: MetricsQuery) -> dict[str, Any]:
    """One answer shape for every metrics endpoint: `source` is a module with compute() of
    cases.metrics' signature (cases.metrics live, insights.metrics from rollups)."""
    street, date_from, date_to = query.street, query.date_from, query.date_to
    group_by, category = query.group_by, query.category
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
