"""The only writer of background jobs (core.models.Job).

`core.jobs.submit` creates a job (`create_job`) and, on commit, sends the generic Celery
task with the job id; its runner (`core.jobs.run`) calls `start_job` (which also tells it
whether the job is still to do), `report_progress` as it goes and `finish_job` or `fail_job`
at the end. A task that is delivered again after its worker died finds the job running and
starts it over; one that is delivered after the job finished finds nothing to do, so a
redelivery never repeats finished work.
"""

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from . import clock
from .choices import JobStatus
from .models import Job

MAX_MESSAGE = 200


def create_job(
    kind: str,
    user: Any,
    *,
    street_id: int | None = None,
    params: dict[str, Any] | None = None,
    input_file: UploadedFile | None = None,
) -> Job:
    from .jobs import get  # core.jobs imports this module

    job = Job(
        kind=get(kind).name,
        created_by=user if getattr(user, "pk", None) else None,
        street_id=street_id,
        params=params or {},
    )
    with transaction.atomic():
        job.save()
        if input_file is not None:
            # Saved after the row exists, so the stored name can carry the job's kind.
            job.input_file.save(Path(input_file.name or "upload").name, input_file, save=True)
    return job


def start_job(job_id: int, task_id: str = "") -> Job | None:
    """Mark the job running (again, after a redelivery) and return it; None when there is
    nothing to do (finished already, or deleted)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.started_at = clock.now()
        job.done, job.message, job.error = 0, "", ""
        job.task_id = task_id or job.task_id
        job.save(update_fields=["status", "attempts", "started_at", "done", "message", "error", "task_id"])
    return job


def report_progress(job_id: int, done: int, total: int | None = None, message: str = "") -> None:
    """One UPDATE, outside any transaction of the work itself, so the job page sees it at once."""
    values: dict[str, Any] = {"done": max(0, int(done)), "message": message[:MAX_MESSAGE]}
    if total is not None:
        values["total"] = max(0, int(total))
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(**values)


def finish_job(
    job_id: int,
    *,
    result: dict[str, Any] | None = None,
    result_path: str | Path | None = None,
    result_name: str = "",
    done: int | None = None,
    message: str = "",
) -> Job:
    """Store the result (and the result file, copied into media storage) and mark the job done."""
    job = Job.objects.get(pk=job_id)
    if result_path is not None:
        with open(result_path, "rb") as fh:
            job.result_file.save(result_name or Path(result_path).name, File(fh), save=False)
    job.result = result or {}
    job.status = JobStatus.SUCCEEDED
    job.finished_at = clock.now()
    if done is not None:
        # The real count replaces the estimate made before the work (e.g. lines in a file).
        job.done = job.total = done
    elif job.total is not None:
        job.done = job.total
    job.message = message[:MAX_MESSAGE]
    _drop_input(job)
    job.save()
    return job


def fail_job(job_id: int, error: str) -> Job | None:
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return None
    job.status = JobStatus.FAILED
    job.finished_at = clock.now()
    job.error = error
    _drop_input(job)
    job.save()
    return job


def _drop_input(job: Job) -> None:
    # An upload carries residents' phone numbers: keep it no longer than the job needs it.
    if job.input_file:
        job.input_file.delete(save=False)


def delete_jobs_before(cutoff: Any) -> int:
    """Remove finished jobs (and their files) created before `cutoff`; the retention task."""
    count = 0
    for job in Job.objects.filter(
        created_at__lt=cutoff, status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]
    ).iterator():
        if job.result_file:
            job.result_file.delete(save=False)
        _drop_input(job)
        job.delete()
        count += 1
    return count
