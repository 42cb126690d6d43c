"""The import and export pages: upload a ledger → its preview (a job that checks every row and
writes nothing) → "确认导入" (the apply job); and the export of the list page's filter. They
translate the request into a residents.jobs call and send the user to the job's page."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from civicgrid.core import capabilities
from civicgrid.core.errors import ActionError, NotFound
from civicgrid.core.job_views import POLL_SECONDS

from .. import jobs, transfer
from ..filters import persons


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("实有人口台账"),
        help_text=_(".xlsx 或 .csv，第 1 行为表头，每行一人"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    capabilities.require(request.user, "residents.import")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        try:
            job = jobs.start_preview(request.user, request.FILES.get("file"))
        except ActionError as exc:
            form.add_error("file" if "file" in exc.fields else None, exc.message)
            return render(request, "residents/transfer_upload.html", _upload_context(form), status=400)
        return redirect("residents:import_preview", job.pk)
    return render(request, "residents/transfer_upload.html", _upload_context(form))


def _upload_context(form: ImportForm) -> dict[str, object]:
    headers = [
        (heads[0], "、".join(heads[1:]), name in transfer.REQUIRED)
        for name, heads in transfer.HEADERS.items()
    ]
    return {"form": form, "headers": headers}


@login_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    capabilities.require(request.user, "residents.import")
    try:
        job = jobs.preview_of(request.user, pk)
    except NotFound:
        raise Http404 from None
    context = {
        "job": job,
        "poll_seconds": POLL_SECONDS,
        "applied": jobs.applied(request.user, job),
        "mine": job.created_by_id == request.user.pk,
    }
    return render(request, "residents/transfer_preview.html", context)


@require_POST
@login_required
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    capabilities.require(request.user, "residents.import")
    try:
        job = jobs.start_apply(request.user, pk)
    except NotFound:
        raise Http404 from None
    except ActionError as exc:
        preview = jobs.preview_of(request.user, pk)
        context = {"job": preview, "poll_seconds": POLL_SECONDS, "error": exc.message, "mine": True}
        return render(request, "residents/transfer_preview.html", context, status=exc.http_status)
    return redirect(job.get_absolute_url())


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """GET: what the list page's filter would export (a count) and the button; POST: the job."""
    capabilities.require(request.user, "residents.export")
    params = request.POST if request.method == "POST" else request.GET
    try:
        if request.method == "POST":
            return redirect(jobs.start_export(request.user, params).get_absolute_url())
        count = persons(request.user, params).count()
    except ActionError as exc:
        return render(
            request, "residents/transfer_export.html", {"error": exc.message}, status=exc.http_status
        )
    kept = [(k, v) for k, v in params.items() if k != "csrfmiddlewaretoken"]
    return render(request, "residents/transfer_export.html", {"count": count, "params": kept})


urlpatterns = [
    path("import/", import_upload, name="import"),
    path("import/<int:pk>/", import_preview, name="import_preview"),
    path("import/<int:pk>/apply/", import_apply, name="import_apply"),
    path("export/", export, name="export"),
]
