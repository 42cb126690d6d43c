"""The registry's background jobs (core.jobs): the Excel import, in two runs of one kind — the
preview, which checks every row and writes nothing, then, confirmed on its page, the apply,
which checks the same file again and writes — and the masked export.

core drops a job's upload when the job ends (it holds personal data), so the preview keeps its
own copy (`kept_name`) for the apply, which takes it over; a copy never confirmed is deleted
after KEEP_FOR. A confirmation is applied once: the apply job of a preview is looked for under a lock of the
preview's row, so a double click finds the first one. A redelivered apply (its worker died)
runs again harmlessly: the rows written before find themselves unchanged.
"""

import contextlib
import secrets
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock
from civicgrid.core import jobs as core_jobs
from civicgrid.core.choices import Action, JobStatus
from civicgrid.core.errors import ActionError, Forbidden, InvalidInput, NotFound
from civicgrid.core.jobs import JobKind, JobRun, Outcome
from civicgrid.core.models import Job
from civicgrid.core.scope import user_scope
from civicgrid.core.spreadsheets import ImportFileError, XlsxWriter, count_rows, read_rows

from . import due, filters, transfer

IMPORT = "residents.import"
EXPORT = "residents.export"
DUE_EXPORT = "residents.due_export"
PREVIEW, APPLY = "preview", "apply"
EXPORT_CHUNK = 1000
KEEP_FOR = timedelta(days=1)
KEPT_DIR = "residents/imports"
PROGRESS_EVERY = 500


def _home_street(user: Any) -> int | None:
    scope = user_scope(user)
    if scope is None or scope.is_global or len(scope.street_ids) != 1:
        return None
    return next(iter(scope.street_ids))


# ---------------------------------------------------------------------------- starting


@contextlib.contextmanager
def _local_copy(upload: UploadedFile, suffix: str) -> Iterator[Path]:
    """A path to the upload's bytes with its suffix (the reader goes by it)."""
    fd, name = tempfile.mkstemp(suffix=suffix)
    try:
        with open(fd, "wb") as out:
            upload.seek(0)
            for chunk in upload.chunks():
                out.write(chunk)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def check_import_file(upload: UploadedFile) -> None:
    """Refuse, before anything is stored, what cannot be a registry ledger: the type, the size,
    the header row. InvalidInput naming the field "file"."""
    name = upload.name or ""
    suffix = Path(name).suffix.lower()
    if suffix not in transfer.IMPORT_SUFFIXES:
        raise InvalidInput(
            gettext("文件“%(name)s”不是 .xlsx 或 .csv 文件") % {"name": name}, {"file": "invalid_type"}
        )
    if not upload.size:
        raise InvalidInput(gettext("上传的文件是空的"), {"file": "empty"})
    if upload.size > settings.CIVICGRID_IMPORT_MAX_BYTES:
        limit = settings.CIVICGRID_IMPORT_MAX_BYTES // (1024 * 1024)
        raise InvalidInput(gettext("文件超过 %(n)s MB") % {"n": limit}, {"file": "too_large"})
    with _local_copy(upload, suffix) as path:
        rows = read_rows(path)
        try:
            transfer.check_header(next(rows, None))
        except ImportFileError as exc:
            raise InvalidInput(str(exc), {"file": "invalid"}) from exc
        finally:
            close = getattr(rows, "close", None)
            if close:
                close()
    upload.seek(0)


def start_preview(user: Any, upload: UploadedFile | None) -> Job:
    if not core_jobs.may_start(user, IMPORT):
        raise Forbidden(gettext("无权导入实有人口"))
    if upload is None:
        raise InvalidInput(gettext("请选择要上传的文件"), {"file": "required"})
    check_import_file(upload)
    _drop_stale_kept()
    name = Path(upload.name or "").name[:200]
    # A name nobody guesses and no earlier file has (ids repeat after a database is reset).
    params = {"mode": PREVIEW, "filename": name, "kept": secrets.token_hex(16) + Path(name).suffix.lower()}
    with transaction.atomic():
        job = core_jobs.submit(IMPORT, user, street_id=_home_street(user), params=params, input_file=upload)
        upload.seek(0)
        default_storage.save(kept_name(job), upload)
    return job


def kept_name(preview: Job) -> str:
    """Where the preview's copy of the upload waits for the confirmation."""
    return f"{KEPT_DIR}/{Path(str(preview.params.get('kept', ''))).name}"


def _drop_stale_kept() -> None:
    try:
        names = default_storage.listdir(KEPT_DIR)[1]
    except FileNotFoundError:
        return
    for name in names:
        path = f"{KEPT_DIR}/{name}"
        if default_storage.get_modified_time(path) < clock.now() - KEEP_FOR:
            default_storage.delete(path)


def preview_of(user: Any, pk: Any) -> Job:
    """A preview job the user may see (NotFound for any other job)."""
    job = Job.objects.restrict(user, Action.VIEW).filter(pk=pk, kind=IMPORT, params__mode=PREVIEW).first()
    if job is None:
        raise NotFound(gettext("导入预览不存在"))
    return job


def applied(user: Any, preview: Job) -> Job | None:
    """The apply job started from `preview`, if any."""
    return (
        Job.objects.restrict(user, Action.VIEW)
        .filter(kind=IMPORT, params__mode=APPLY, params__preview=preview.pk)
        .order_by("id")
        .first()
    )


def start_apply(user: Any, pk: Any) -> Job:
    """Apply the file of the user's own finished preview `pk`: once, however often asked."""
    if not core_jobs.may_start(user, IMPORT):
        raise Forbidden(gettext("无权导入实有人口"))
    with transaction.atomic():
        preview = preview_of(user, pk)
        if preview.created_by_id != user.pk:
            raise NotFound(gettext("导入预览不存在"))
        # The preview's row is the lock a second click waits on, then finds the first job.
        Job.objects.select_for_update().filter(pk=preview.pk).first()
        if (done := applied(user, preview)) is not None:
            return done
        if preview.status != JobStatus.SUCCEEDED:
            raise InvalidInput(gettext("预览尚未完成，完成后才能确认导入"), {"preview": "not_ready"})
        kept = kept_name(preview)
        if not default_storage.exists(kept):
            raise InvalidInput(gettext("上传的文件已不存在，请重新上传"), {"file": "gone"})
        with default_storage.open(kept, "rb") as handle:
            upload = UploadedFile(handle, name=Path(kept).name, size=default_storage.size(kept))
            params = {"mode": APPLY, "preview": preview.pk, "filename": preview.params.get("filename", "")}
            job = core_jobs.submit(
                IMPORT, user, street_id=preview.street_id, params=params, input_file=upload
            )
        # The apply job holds its own copy now (dropped when it ends, as every upload).
        transaction.on_commit(lambda: default_storage.delete(kept))
        return job


def start_export(user: Any, params: Any) -> Job:
    if not core_jobs.may_start(user, EXPORT):
        raise Forbidden(gettext("无权导出实有人口"))
    kept = {
        k: v for k, v in params.items() if k in filters.PersonFilterSet.base_filters and v not in ("", None)
    }
    filters.persons(user, kept)  # a bad parameter is refused now, naming it
    return core_jobs.submit(EXPORT, user, street_id=_home_street(user), params={"filter": kept})


def start_due_export(user: Any, params: Any) -> Job:
    """The due list (待走访) under the page's filter, as a sheet."""
    if not core_jobs.may_start(user, DUE_EXPORT):
        raise Forbidden(gettext("无权导出待走访名单"))
    data = {k: params.get(k) for k in due.DueForm.base_fields if params.get(k) not in ("", None)}
    kept = due.DueForm(data, user=user).checked()  # a bad parameter is refused now, naming it
    stored = {"care": kept.get("care") or "", "overdue": bool(kept.get("overdue"))}
    return core_jobs.submit(DUE_EXPORT, user, street_id=_home_street(user), params={"filter": stored})


# ---------------------------------------------------------------------------- running


def _active_creator(run: JobRun) -> Any:
    user = run.job.created_by
    if user is None or not user.is_active:
        raise Forbidden(gettext("发起任务的账号已停用"))
    return user


def _import(run: JobRun) -> Outcome:
    user = _active_creator(run)
    write = run.params.get("mode") == APPLY
    message = gettext_noop("正在导入") if write else gettext_noop("正在检查")
    with run.input_path() as path:
        total = count_rows(path)
        run.progress(0, total, message)
        report = run.workdir / "errors.xlsx"
        result = transfer.import_file(
            path,
            user,
            write=write,
            report=report,
            on_progress=lambda r: run.progress(r.total, max(total, r.total), message),
        )
    if write:
        done = (
            gettext_noop("导入完成")
            if not result.failed
            else gettext_noop("导入完成，部分行失败：见结果文件")
        )
    else:
        done = gettext_noop("预览完成：确认后才会写入")
    return Outcome(
        summary=[
            (gettext_noop("新增"), result.added),
            (gettext_noop("更新"), result.changed),
            (gettext_noop("未变"), result.unchanged),
            (gettext_noop("失败"), result.failed),
        ],
        data={"counts": result.counts(), "lines": [str(e) for e in result.errors]},
        file=report if result.failed else None,
        file_name=f"residents-errors-{run.job.pk}.xlsx",
        done=result.total,
        message=done,
    )


def _export(run: JobRun) -> Outcome:
    user = _active_creator(run)
    path = run.workdir / "export.xlsx"
    persons = transfer.export_persons(user, run.params.get("filter") or {})
    total = persons.count()
    wb = XlsxWriter()
    ws = wb.sheet(gettext("实有人口"))
    ws.append(transfer.export_header())
    done = 0
    rows = transfer.export_rows(user, persons.iterator(chunk_size=EXPORT_CHUNK))
    for row in run.track(rows, total, every=PROGRESS_EVERY, message=gettext_noop("正在导出")):
        ws.append(row)
        done += 1
    wb.save(path)
    return Outcome(
        summary=[(gettext_noop("人数"), done)],
        file=path,
        file_name=f"residents-{clock.localtime():%Y%m%d-%H%M}.xlsx",
        done=done,
    )


def _due_export(run: JobRun) -> Outcome:
    """Exactly the rows of the due list with the same filter, as the page shows them (a
    sensitive need only to those who may see it); each sensitive look is logged, like the page's."""
    user = _active_creator(run)
    chosen = run.params.get("filter") or {}
    rows = due.due_list(user, care=chosen.get("care") or "", overdue=bool(chosen.get("overdue")))
    due.log_looks(user, rows, reason=gettext("导出待走访名单"))
    wb = XlsxWriter()
    ws = wb.sheet(gettext("待走访"))
    ws.append(
        [
            gettext("房屋"),
            gettext("到期日"),
            gettext("逾期天数"),
            gettext("走访原因"),
            gettext("上次走访"),
            gettext("已计划"),
        ]
    )
    for row in run.track(rows, len(rows), every=PROGRESS_EVERY, message=gettext_noop("正在导出")):
        reasons = "、".join(f"{r.person}·{r.label}" for r in row.reasons)
        ws.append(
            [str(row.household.flat), row.due_on, row.overdue_days, reasons, row.last_visit, row.planned_for]
        )
    path = run.workdir / "due.xlsx"
    wb.save(path)
    return Outcome(
        summary=[(gettext_noop("户数"), len(rows))],
        file=path,
        file_name=f"residents-due-{clock.localtime():%Y%m%d-%H%M}.xlsx",
        done=len(rows),
    )


for _name, _label, _body, _capability in (
    (IMPORT, _("实有人口导入"), _import, "residents.import"),
    (EXPORT, _("实有人口导出（脱敏）"), _export, "residents.export"),
    (DUE_EXPORT, _("待走访名单导出"), _due_export, "residents.export"),
):
    core_jobs.register(
        JobKind(
            name=_name,
            label=_label,
            run=_body,
            capability=_capability,
            queue="bulk",
            user_errors=(ImportFileError, ActionError),
        )
    )
