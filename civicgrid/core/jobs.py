"""Background jobs: the registry of job kinds and the one runner.

Each app declares its kinds in its own `jobs.py` (autodiscovered when core is ready), e.g.

    register(JobKind(
        name="cases.import_12345", label=_("12345 工单导入"), run=_import,
        capability="cases.import", queue="bulk", user_errors=(ImportFileError,),
    ))

`submit()` checks the capability, creates the `Job` (core.actions) and, on commit, sends the one
generic task (`core.tasks.run_job`) to the kind's queue; the task calls `run()`, which claims the
job, calls the kind's function with a `JobRun` (the job, a scratch directory, the progress
reporter) and stores the `Outcome` it returns, or the error. A new kind needs no migration:
`Job.kind` holds the name and is checked against this registry.
"""

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from . import actions, capabilities
from .models import Job

logger = logging.getLogger(__name__)
T = TypeVar("T")


class JobError(Exception):
    """A failure the requester can act on: its message becomes the job's error as it is."""


class UnknownJobKind(JobError, LookupError):
    pass


class JobNotAllowed(PermissionDenied):
    pass


@dataclass(frozen=True)
class Outcome:
    """What a kind's function returns: shown on the job page and kept on the job."""

    # (label, value) rows on the job page; labels are message ids (gettext_noop), translated when shown.
    summary: list[tuple[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # kept in Job.result next to the summary
    file: Path | None = None  # written under JobRun.workdir; copied to media storage
    file_name: str = ""
    done: int | None = None  # the real count, replacing the estimate the progress started with
    message: str = ""  # a message id (gettext_noop), translated when shown, as progress() messages


class JobRun:
    """Handed to a kind's function: the job (params, creator, input file), a scratch directory
    removed after the run, and `progress()`, which the job page shows as the work goes."""

    def __init__(self, job: Job, workdir: Path) -> None:
        self.job = job
        self.workdir = workdir

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        # `message` is a message id (gettext_noop): the page translates it for its reader.
        actions.report_progress(self.job.pk, done, total, message)

    def track(self, items: Iterable[T], total: int, *, every: int = 500, message: str = "") -> Iterator[T]:
        """Yield `items`, reporting the count every `every` items (first 0 of `total`)."""
        self.progress(0, total, message)
        for done, item in enumerate(items, start=1):
            yield item
            if done % every == 0:
                self.progress(done, total)

    @contextlib.contextmanager
    def input_path(self) -> Iterator[Path]:
        """A local path to the job's upload: the file itself with local storage, else a copy."""
        upload = self.job.input_file
        gone = JobError(gettext("上传的文件已不存在，请重新上传"))
        if not upload:
            raise gone
        try:
            local: Path | None = Path(upload.path)
        except NotImplementedError:  # remote storage: work on a copy
            local = None
        if local is not None:
            if not local.is_file():
                raise gone
            yield local
            return
        copy = self.workdir / f"input{Path(upload.name or '').suffix}"
        with upload.open("rb") as src, copy.open("wb") as out:
            shutil.copyfileobj(src, out)
        yield copy


@dataclass(frozen=True)
class JobKind:
    name: str  # "<app>.<what>", stored in Job.kind
    label: Any  # shown on the job pages (gettext_lazy)
    run: Callable[[JobRun], Outcome]
    capability: str  # the core.capabilities name a user needs to start it
    queue: str = "default"  # one of settings.CELERY_QUEUES_ALL
    # Exceptions whose message is the job's error as it is (besides JobError); any other
    # exception fails the job with its type and is logged.
    user_errors: tuple[type[Exception], ...] = ()


_registry: dict[str, JobKind] = {}
MAX_NAME = 64  # Job.kind's max_length


def register(kind: JobKind) -> JobKind:
    """Declare a kind once; the same name for another function is an error."""
    if len(kind.name) > MAX_NAME or "." not in kind.name:
        raise ValueError(f"job kind {kind.name!r}: the name is '<app>.<what>', at most {MAX_NAME} characters")
    if kind.queue not in settings.CELERY_QUEUES_ALL:
        raise ValueError(f"job kind {kind.name!r}: no queue {kind.queue!r} (CELERY_QUEUES_ALL)")
    known = _registry.get(kind.name)
    if known is not None and known.run is not kind.run:
        raise ValueError(f"job kind {kind.name!r} is already registered")
    _registry[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """For tests that register a kind of their own."""
    _registry.pop(name, None)


def get(name: str) -> JobKind:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownJobKind(gettext("未知的任务类型“%(name)s”") % {"name": name}) from None


def label(name: str) -> str:
    """The kind's label; the bare name for a kind no longer registered (old rows still show)."""
    kind = _registry.get(name)
    return str(kind.label) if kind else name


def all_kinds() -> list[JobKind]:
    return sorted(_registry.values(), key=lambda k: k.name)


def may_start(user: Any, name: str) -> bool:
    return capabilities.may(user, get(name).capability)


# ---------------------------------------------------------------------------- starting


def submit(
    name: str,
    user: Any,
    *,
    street_id: int | None = None,
    params: dict[str, Any] | None = None,
    input_file: UploadedFile | None = None,
) -> Job:
    """Create the job in the requester's language and send it to its queue once committed; a
    worker runs it (only the test suite runs it in-process, eagerly, right after the commit)."""
    kind = get(name)
    if not capabilities.may(user, kind.capability):
        raise JobNotAllowed(gettext("无权发起“%(label)s”") % {"label": kind.label})
    language = translation.get_language() or settings.LANGUAGE_CODE
    with transaction.atomic():
        job = actions.create_job(
            kind.name,
            user,
            street_id=street_id,
            params={**(params or {}), "language": language},
            input_file=input_file,
        )
        job_id, queue = job.pk, f"{settings.CELERY_QUEUE_PREFIX}{kind.queue}"
        transaction.on_commit(lambda: _send(job_id, queue))
    return job


def _send(job_id: int, queue: str) -> None:
    from .tasks import run_job

    run_job.apply_async((job_id,), queue=queue)


# ---------------------------------------------------------------------------- running


def run(job_id: int, task_id: str = "") -> str:
    """Claim the job, run its kind in the requester's language, store the outcome or the error.
    Never raises: a failure is the job's state, not the worker's (and in the tests' eager mode
    the code that started the job must not break). A redelivered task finds a running job and starts it
    over, a finished one and skips it (core.actions.start_job)."""
    job = actions.start_job(job_id, task_id)
    if job is None:
        return "skipped"
    expected: tuple[type[Exception], ...] = (JobError,)
    try:
        kind = get(job.kind)
        expected += kind.user_errors
        with (
            translation.override(job.params.get("language") or settings.LANGUAGE_CODE),
            tempfile.TemporaryDirectory(prefix=f"job-{job.pk}-") as tmp,
        ):
            outcome = kind.run(JobRun(job, Path(tmp)))
            actions.finish_job(
                job.pk,
                result={"summary": [list(row) for row in outcome.summary], **outcome.data},
                result_path=outcome.file,
                result_name=outcome.file_name,
                done=outcome.done,
                message=outcome.message,
            )
    except expected as exc:
        actions.fail_job(job.pk, str(exc))
        return "failed"
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        actions.fail_job(job.pk, f"{type(exc).__name__}: {exc}")
        return "failed"
    return "succeeded"
