"""/api/v1/insights/: the dashboard figures from the rollups (mounted by civicgrid.api).

`GET /insights/metrics` takes the parameters of `GET /metrics` and answers in its shape, plus
`as_of` (the last rollup refresh); the caller's scope applies as everywhere (restrict())."""

from datetime import date
from typing import Annotated, Any

from ninja import Query, Router

from civicgrid.cases.api import METRIC_FIELDS, READ_ERRORS
from civicgrid.cases.errors import InvalidInput
from civicgrid.cases.schemas import MetricsOut
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

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
    user = request.auth
    area = None
    if street:
        area = Area.objects.filter(kind=AreaKind.STREET, code=street).first()
        if area is None:
            raise InvalidInput(f"街道编码“{street}”不存在", {"street": "unknown"})
    try:
        rows = metrics.compute(
            user, street=area, date_from=date_from, date_to=date_to, group_by=group_by, category=category
        )
        total = metrics.summary(user, street=area, date_from=date_from, date_to=date_to, category=category)
    except InvalidInput as exc:
        exc.fields = {METRIC_FIELDS.get(k, k): v for k, v in exc.fields.items()}
        raise
    return {
        "group_by": group_by,
        "street": street,
        "date_from": date_from.isoformat() if date_from else None,
        "date_to": date_to.isoformat() if date_to else None,
        "results": rows,
        "total": total,
        "as_of": metrics.freshness(),
    }
