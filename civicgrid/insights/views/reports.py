"""The reports pages of insights: the list of weekly and monthly reports (filters kind and
street), the PDF download, the form that makes one street's report now (a job, then its
progress page), and the dashboard's Excel export (a job under the dashboard's query string).
Street-wide roles only (capability insights.dashboard); rows through Report.objects.restrict."""

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from civicgrid.core import clock
from civicgrid.core.capabilities import require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.core.widgets import FastSelect

from .. import report_jobs, reports
from ..choices import ReportKind
from ..models import Report

PER_PAGE = 30
CAPABILITY = "insights.dashboard"


class ReportFilter(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"), choices=[("", _("全部")), *ReportKind.choices], required=False, widget=FastSelect
    )
    street = forms.TypedChoiceField(label=_("街道"), coerce=int, required=False, widget=FastSelect)


class GenerateForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ReportKind.choices, widget=FastSelect)
    street = forms.TypedChoiceField(label=_("街道"), coerce=int, widget=FastSelect)
    day = forms.DateField(
        label=_("生成日期"),
        help_text=_("周报统计此日之前的一周（周一至周日），月报统计此日之前的一个自然月"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def _streets(user: Any) -> list[tuple[int, str]]:
    return list(report_jobs.report_streets(user).values_list("pk", "name"))


def _list(request: HttpRequest, form: GenerateForm | None = None, status: int = 200) -> HttpResponse:
    streets = _streets(request.user)
    filter_form = ReportFilter(request.GET)
    filter_form.fields["street"].choices = [("", _("全部")), *streets]  # type: ignore[attr-defined]
    rows = Report.objects.restrict(request.user, Action.VIEW).select_related("street")
    if filter_form.is_valid():
        if filter_form.cleaned_data["kind"]:
            rows = rows.filter(kind=filter_form.cleaned_data["kind"])
        if filter_form.cleaned_data["street"]:
            rows = rows.filter(street_id=filter_form.cleaned_data["street"])
    elif "street" in filter_form.errors or "kind" in filter_form.errors:
        status = 400
    if form is None:
        form = GenerateForm(initial={"kind": ReportKind.WEEKLY, "day": clock.today()})
    form.fields["street"].choices = streets  # type: ignore[attr-defined]
    page = Paginator(rows.defer("street__geometry"), PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "filter": filter_form, "form": form}
    return render(request, "insights/reports.html", context, status=status)


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    require(request.user, CAPABILITY)
    return _list(request)


@login_required
def report_download(request: HttpRequest, pk: int) -> FileResponse:
    require(request.user, CAPABILITY)
    visible = Report.objects.restrict(request.user, Action.VIEW).select_related("street")
    report = get_object_or_404(visible, pk=pk)
    if not report.file:
        raise Http404
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = reports.content_disposition(report)
    return response


@require_POST
@login_required
def report_generate(request: HttpRequest) -> HttpResponse:
    """kind, street, day → the job making that street's report → its progress page."""
    require(request.user, CAPABILITY)
    form = GenerateForm(request.POST)
    form.fields["street"].choices = _streets(request.user)  # type: ignore[attr-defined]
    if not form.is_valid():
        return _list(request, form, status=400)
    data = form.cleaned_data
    try:
        job = report_jobs.start_reports(request.user, data["kind"], data["street"], data["day"].isoformat())
    except ActionError as exc:
        for name in exc.fields or {}:
            if name in form.fields:
                form.add_error(name, str(exc))
                break
        else:
            form.add_error(None, str(exc))
        return _list(request, form, status=getattr(exc, "http_status", 400))
    return redirect(job.get_absolute_url())


@require_POST
@login_required
def dashboard_export(request: HttpRequest) -> HttpResponse:
    """The dashboard's "导出" (its query string, posted or in the URL) → the export job's page."""
    require(request.user, CAPABILITY)
    query: dict[str, Any] = {**request.GET.dict(), **request.POST.dict()}
    query.pop("csrfmiddlewaretoken", None)
    job = report_jobs.start_dashboard_export(request.user, query)
    return redirect(job.get_absolute_url())


urlpatterns: list[URLPattern] = [
    path("insights/reports/", report_list, name="reports"),
    path("insights/reports/generate/", report_generate, name="report_generate"),
    path("insights/reports/<int:pk>/", report_download, name="report"),
    path("dashboard/export/", dashboard_export, name="dashboard_export"),
]
