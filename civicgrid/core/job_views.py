"""The pages of background jobs (core.models.Job): my jobs, one job with its progress (htmx
polls the status fragment every second while it runs) and the result download. Every
lookup goes through restrict(): a job is seen by whoever started it and by the
administrators of its street; anyone else gets a 404."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from . import clock
from .choices import Action, JobStatus
from .models import Job

JOBS_PER_PAGE = 30
POLL_SECONDS = 1
# A job no worker has taken after this long: the worker is probably not running. The page says
# so instead of spinning, and asks less often until the job starts.
STALLED_AFTER = timedelta(minutes=1)
STALLED_POLL_SECONDS = 10


def _visible(request: HttpRequest, pk: int) -> Job:
    return get_object_or_404(
        Job.objects.restrict(request.user, Action.VIEW).select_related("created_by"), pk=pk
    )


def _status(job: Job) -> dict[str, Any]:
    stalled = job.status == JobStatus.QUEUED and clock.now() - job.created_at > STALLED_AFTER
    return {"job": job, "stalled": stalled, "poll_seconds": STALLED_POLL_SECONDS if stalled else POLL_SECONDS}


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = Job.objects.restrict(request.user, Action.VIEW).select_related("created_by")
    page = Paginator(jobs, JOBS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "core/job_list.html", {"page": page})


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible(request, pk)
    return render(request, "core/job_detail.html", _status(job))


@never_cache
@login_required
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment; once the job has finished it stops asking to be polled."""
    job = _visible(request, pk)
    return render(request, "core/_job_status.html", _status(job))


@login_required
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _visible(request, pk)
    if not job.result_file:
        raise Http404
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=Path(job.result_file.name or "result").name)
