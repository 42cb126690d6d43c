"""/api/v1/insights/ endpoints of the reports part: the weekly and monthly reports the caller
may read (street-wide roles, their streets) and each one's PDF."""

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from ninja import Field, Query, Router, Schema

from civicgrid.core import capabilities
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, NotFound
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import READ_ERRORS

from .. import reports
from ..choices import ReportKind
from ..models import Report

router = Router(tags=["insights"])


class ReportOut(Schema):
    id: int
    street: str = Field(description="街道代码")
    street_name: str
    kind: str = Field(description="weekly（周报）或 monthly（月报）")
    kind_label: str
    period_start: date
    period_end: date = Field(description="统计截止日（含）")
    size: int = Field(description="PDF 字节数")
    generated_at: datetime
    pdf: str = Field(description="PDF 的 API 路径")


class ReportPage(PageOut):
    results: list[ReportOut]


class ReportFilters(Schema):
    kind: ReportKind | None = Field(None, description="weekly 或 monthly")
    street: str | None = Field(None, description="街道代码")


def _visible(user: Any) -> QuerySet[Report]:
    if not capabilities.may(user, "insights.dashboard"):
        raise Forbidden("你的角色不能查看周报月报")
    return Report.objects.restrict(user, Action.VIEW).select_related("street")


def report_out(report: Report) -> dict[str, Any]:
    return {
        "id": report.pk,
        "street": report.street.code,
        "street_name": report.street.name,
        "kind": report.kind,
        "kind_label": str(report.get_kind_display()),
        "period_start": report.period_start,
        "period_end": report.period_end,
        "size": report.size,
        "generated_at": report.generated_at,
        "pdf": f"/api/v1/insights/reports/{report.pk}/pdf",
    }


@router.get(
    "/reports",
    response={200: ReportPage, **READ_ERRORS},
    summary="周报月报",
    operation_id="insights_list_reports",
)
def list_reports(
    request: Any,
    filters_: Query[ReportFilters],
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """The reports of the caller's streets, newest period first."""
    qs = _visible(request.auth)
    if filters_.kind:
        qs = qs.filter(kind=filters_.kind)
    if filters_.street:
        qs = qs.filter(street__code=filters_.street)
    return paginate(qs.order_by("-period_start", "kind", "street_id", "pk"), page, page_size, report_out)


@router.get(
    "/reports/{report_id}/pdf",
    response={200: None, **READ_ERRORS},
    summary="周报月报 PDF",
    operation_id="insights_report_pdf",
)
def report_pdf(request: Any, report_id: int) -> FileResponse:
    report = _visible(request.auth).filter(pk=report_id).first()
    if report is None or not report.file:
        raise NotFound("报告不存在或不在你的管辖范围内")
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise NotFound("报告文件已不存在") from None
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = reports.content_disposition(report, "inline")
    return response
