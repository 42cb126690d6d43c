"""Pages that start background jobs: the 12345 upload, the workbench export, the monthly
report and the intake model's training. They only translate the request into a cases.jobs
call and send the user to the job page (core), which shows the progress."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.geo.models import Area

from .. import jobs
from ..errors import CaseError
from ..intake import suggest
from ..models import IntakeSuggestion
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


@login_required
def intake_model(request: HttpRequest) -> HttpResponse:
    """智能派单: each of the user's streets with its model (when trained, on what) and how often
    the desk kept its suggestions; 重新训练 runs the job cases.train_intake."""
    require(request, "cases.intake_model")
    streets = Area.objects.restrict(request.user, Action.VIEW).streets().order_by("code")
    if request.method == "POST":
        street = streets.filter(code=request.POST.get("street", "")).first()
        if street is None:
            raise Http404(_("页面不存在"))
        try:
            job = jobs.start_training(request.user, street)
        except CaseError as exc:
            messages.error(request, exc.message)
            return redirect("cases:intake_model")
        return redirect(job.get_absolute_url())
    counts = {
        (row["street_id"], row["accepted"]): row["n"]
        for row in IntakeSuggestion.objects.restrict(request.user, Action.VIEW)
        .values("street_id", "accepted")
        .annotate(n=Count("pk"))
    }
    rows = []
    for street in streets:
        model = suggest.street_model(street)
        rows.append(
            {
                "street": street,
                "info": model.info if model else None,
                "accepted": counts.get((street.pk, True), 0),
                "corrected": counts.get((street.pk, False), 0),
            }
        )
    return render(request, "cases/intake_model.html", {"rows": rows})
