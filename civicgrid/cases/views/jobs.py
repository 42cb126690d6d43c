"""Pages that start background jobs: the 12345 upload, the workbench export and the monthly
report. They only translate the request into a cases.jobs call and send the user to the job
page (core), which shows the progress."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from civicgrid.core import clock

from .. import jobs
from ..errors import CaseError
from .common import require


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("12345 导出文件"),
        help_text=_(".xlsx 或 .csv（UTF-8 或 GB18030），第 1 行为表头"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


def _to_job(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    require(request, "cases.import")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        try:
            job = jobs.start_import(request.user, request.FILES.get("file"))
        except CaseError as exc:
            form.add_error("file" if "file" in exc.fields else None, exc.message)
            return render(request, "cases/import_upload.html", {"form": form}, status=400)
        return redirect(job.get_absolute_url())
    return render(request, "cases/import_upload.html", {"form": form})


@require_POST
@login_required
def export_cases(request: HttpRequest) -> HttpResponse:
    """The workbench's current filter (posted from its form) → an export job."""
    require(request, "cases.export")
    try:
        job = jobs.start_export(request.user, request.POST)
    except CaseError as exc:
        messages.error(request, exc.message)
        return _to_job(request, reverse("cases:workbench"))
    return _to_job(request, job.get_absolute_url())


@require_POST
@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    require(request, "cases.metrics")
    try:
        job = jobs.start_report(request.user, request.POST.get("street"), request.POST.get("month"))
    except CaseError as exc:
        messages.error(request, exc.message)
        return redirect("cases:metrics")
    return redirect(job.get_absolute_url())


def report_context(request: HttpRequest) -> dict[str, object]:
    """The report form on the metrics page: the user's streets, last month by default."""
    first = clock.today().replace(day=1)
    last_month = (first - timedelta(days=1)).replace(day=1)
    return {"report_streets": list(jobs.report_streets(request.user)), "report_month": f"{last_month:%Y-%m}"}
