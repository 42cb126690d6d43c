"""Background jobs of the work-order loop, registered with core.jobs: the 12345 upload, the case
export and the monthly report. `start_*` checks the request and submits the job (core.jobs,
which creates the Job and sends it to the kind's queue on commit); the kind's function
(`_import`, `_export`, `_report`) does the work, reporting progress through the JobRun, and
returns the Outcome the runner stores. The job always runs on a worker (without a broker, the
embedded profile's worker on the filesystem transport), never in the request that started it:
the page sends the user to the job's progress page at once.

A redelivered task (its worker died) runs the job again: core.actions.start_job restarts a
running job and skips a finished one; an import skips the rows already imported (by 工单编号),
an export or report is simply written again.
"""

import calendar
import contextlib
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock, privacy
from civicgrid.core import jobs as core_jobs
from civicgrid.core.db_router import reading_from_replica
from civicgrid.core.jobs import JobKind, JobRun, Outcome
from civicgrid.core.models import Job
from civicgrid.core.querysets import user_scope
from civicgrid.core.redact import redact
from civicgrid.core.spreadsheets import XlsxWriter, count_rows
from civicgrid.geo.models import Area

from . import batch, metrics, timeline, workbench
from .choices import AssignmentRole, AssignmentStatus
from .errors import CaseError, Forbidden, InvalidInput
from .intake import hotline, suggest
from .intake.model import TrainingError
from .models import Assignment, CaseEvent

IMPORT = "cases.import_12345"
EXPORT = "cases.case_export"
REPORT = "cases.metrics_report"
BATCH = "cases.batch_action"
TRAIN = "cases.train_intake"
IMPORT_SUFFIXES = (".xlsx", ".csv")
PROGRESS_EVERY = 500  # export rows between two progress updates
KEPT_ERRORS = 20  # error lines shown on the job page (all of them are in the report file)
REPORT_GROUPS = ("residential_area", "grid", "unit", "category")


def _home_street(user: Any) -> int | None:
    """The job's street: the user's only street, or None (a global or multi-street account)."""
    scope = user_scope(user)
    if scope is None or scope.is_global or len(scope.street_ids) != 1:
        return None
    return next(iter(scope.street_ids))


# ---------------------------------------------------------------------------- starting


def check_import_file(upload: UploadedFile) -> None:
    """Refuse what cannot be a 12345 export before anything is stored: the type, the size,
    and the header row (every required column present). Raises InvalidInput naming the field."""
    name = upload.name or ""
    suffix = Path(name).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise InvalidInput(
            gettext("文件“%(name)s”不是 .xlsx 或 .csv 文件") % {"name": name}, {"file": "invalid_type"}
        )
    if not upload.size:
        raise InvalidInput(gettext("上传的文件是空的"), {"file": "empty"})
    if upload.size > settings.CIVICGRID_IMPORT_MAX_BYTES:
        limit = settings.CIVICGRID_IMPORT_MAX_BYTES // (1024 * 1024)
        raise InvalidInput(gettext("文件超过 %(n)s MB") % {"n": limit}, {"file": "too_large"})
    with _local_copy(upload, suffix) as path:
        rows = hotline.read_rows(path)
        try:
            hotline.check_header(next(rows, None))
        except hotline.ImportFileError as exc:
            raise InvalidInput(str(exc), {"file": "invalid"}) from exc
        finally:
            close = getattr(rows, "close", None)
            if close:
                close()
    upload.seek(0)


@contextlib.contextmanager
def _local_copy(upload: UploadedFile, suffix: str) -> Iterator[Path]:
    """A path to the upload's bytes: the temporary file Django already wrote for a large
    upload, else a copy (hotline reads paths, and needs the suffix)."""
    existing = getattr(upload, "temporary_file_path", None)
    if existing and Path(existing()).suffix.lower() == suffix:
        yield Path(existing())
        return
    fd, name = tempfile.mkstemp(suffix=suffix)
    try:
        with open(fd, "wb") as out:
            upload.seek(0)
            for chunk in upload.chunks():
                out.write(chunk)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def start_import(user: Any, upload: UploadedFile | None) -> Job:
    if not core_jobs.may_start(user, IMPORT):
        raise Forbidden(gettext("只有调度员和管理员可以导入 12345 工单"))
    if upload is None:
        raise InvalidInput(gettext("请选择要上传的文件"), {"file": "required"})
    check_import_file(upload)
    return core_jobs.submit(
        IMPORT,
        user,
        street_id=_home_street(user),
        params={"filename": Path(upload.name or "").name[:200]},
        input_file=upload,
    )


def start_export(user: Any, params: Any) -> Job:
    if not core_jobs.may_start(user, EXPORT):
        raise Forbidden(gettext("无权导出工单"))
    stored = {"filter": workbench.clean_params(params)}
    return core_jobs.submit(EXPORT, user, street_id=_home_street(user), params=stored)


def parse_month(value: Any) -> date:
    text = str(value or "").strip()
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except ValueError:
        message = gettext("月份“%(v)s”无效，应为 YYYY-MM") % {"v": text}
        raise InvalidInput(message, {"month": "invalid"}) from None
    if first > clock.today():
        raise InvalidInput(gettext("月份不能晚于本月"), {"month": "future"})
    return first


def report_streets(user: Any) -> Any:
    return Area.objects.restrict(user, "view").streets().order_by("code")


def start_report(user: Any, street: Any, month: Any) -> Job:
    if not core_jobs.may_start(user, REPORT):
        raise Forbidden(gettext("无权生成报表"))
    try:
        street_obj = report_streets(user).get(pk=int(street))
    except (TypeError, ValueError, Area.DoesNotExist):
        raise InvalidInput(gettext("请选择街道"), {"street": "invalid"}) from None
    first = parse_month(month)
    params = {"street_id": street_obj.pk, "month": f"{first:%Y-%m}"}
    return core_jobs.submit(REPORT, user, street_id=street_obj.pk, params=params)


def start_training(user: Any, street: Area) -> Job:
    """Train `street`'s intake model (the caller found the street through restrict())."""
    if not core_jobs.may_start(user, TRAIN):
        raise Forbidden(gettext("无权训练智能派单模型"))
    return core_jobs.submit(TRAIN, user, street_id=street.pk)


# ---------------------------------------------------------------------------- running


def _train(run: JobRun) -> Outcome:
    street = Area.objects.get(pk=int(run.job.street_id or 0))  # start_training always sets it
    run.progress(0, 1, gettext_noop("正在训练"))
    model = suggest.train_street(street)
    return Outcome(
        summary=[
            (gettext_noop("训练记录"), model.info["rows"]),
            (gettext_noop("类别"), model.info["labels"]),
        ],
        data={"rows": model.info["rows"], "labels": model.info["labels"]},
        done=1,
        message=gettext_noop("训练完成"),
    )


def _import(run: JobRun) -> Outcome:
    with run.input_path() as path:
        total = count_rows(path)
        run.progress(0, total, gettext_noop("正在导入"))

        def progress(result: hotline.ImportResult) -> None:
            # The counts show as done / total; the message is an id, translated on the page.
            run.progress(result.total, max(total, result.total), gettext_noop("正在导入"))

        report = run.workdir / "errors.xlsx"
        result = hotline.import_file(path, report=report, on_progress=progress, actor=run.job.created_by)
    return Outcome(
        summary=[
            (gettext_noop("新建"), result.created),
            (gettext_noop("已更新"), result.updated),
            (gettext_noop("未变"), result.unchanged),
            (gettext_noop("失败"), result.failed),
        ],
        data={
            "counts": {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "failed": result.failed,
            },
            "lines": [str(e) for e in result.errors[:KEPT_ERRORS]],
        },
        file=report if result.failed else None,
        file_name=f"12345-errors-{run.job.pk}.xlsx",
        done=result.total,
        message=gettext_noop("导入完成")
        if not result.failed
        else gettext_noop("导入完成，部分行失败：见结果文件"),
    )


EXPORT_COLUMNS = (
    gettext_noop("工单编号"),
    gettext_noop("标题"),
    gettext_noop("状态"),
    gettext_noop("诉求类型"),
    gettext_noop("问题分类"),
    gettext_noop("来源渠道"),
    gettext_noop("紧急程度"),
    gettext_noop("街道"),
    gettext_noop("居民区"),
    gettext_noop("网格"),
    gettext_noop("事发地址"),
    gettext_noop("诉求内容"),
    gettext_noop("联系人"),
    gettext_noop("联系电话"),
    gettext_noop("受理时间"),
    gettext_noop("响应时限"),
    gettext_noop("处置时限"),
    gettext_noop("回访时限"),
    gettext_noop("结案时间"),
    gettext_noop("主办单位"),
    gettext_noop("协办单位"),
    gettext_noop("办理结果"),
    gettext_noop("已超期"),
    gettext_noop("办理过程"),
    gettext_noop("外部编号"),
)
# Cases read per query while exporting; each chunk's timelines and units come in one query
# each, so the queries grow with the chunks, never with the rows.
EXPORT_CHUNK = 1000


def _local(value: Any) -> Any:
    # Excel has no time zones: write the Shanghai wall-clock time.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def export_cases(user: Any, params: Any) -> Any:
    """The cases of the export's filter with what its rows read: the areas and units joined,
    the timeline and the co-handling units prefetched (per chunk, when iterated in chunks)."""
    return (
        workbench.queue_cases(user, params)
        .select_related("category", "street", "residential_area", "grid", "lead_unit")
        .prefetch_related(
            Prefetch("events", queryset=CaseEvent.objects.select_related("unit").order_by("at", "id")),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(role=AssignmentRole.CO)
                .exclude(status=AssignmentStatus.CANCELLED)
                .select_related("unit")
                .order_by("id"),
                to_attr="co_assignments",
            ),
        )
        .order_by("received_at", "id")
    )


def export_rows(user: Any, cases: Any) -> Iterator[list[Any]]:
    """One row per case of `export_cases()`, personal data as the UI shows it to this user
    (the phone masked, the personal data typed into the description and the result masked)."""
    desk = privacy.may_reveal_phone(user)
    for case in cases:
        reporter = privacy.reporter_view(
            case.reporter_name, case.reporter_phone, case.reporter_anonymous, desk=desk
        )
        yield [
            case.number,
            case.title,
            case.get_status_display(),
            case.get_request_type_display(),
            str(case.category) if case.category_id else "",
            case.get_channel_display(),
            case.get_urgency_display(),
            case.street.name if case.street_id else "",
            case.residential_area.name if case.residential_area_id else "",
            case.grid.name if case.grid_id else "",
            case.address,
            redact(case.description),
            reporter["name"],
            reporter["phone"],
            _local(case.received_at),
            _local(case.response_due_at),
            _local(case.handling_due_at),
            _local(case.callback_due_at),
            _local(case.closed_at),
            case.lead_unit.name if case.lead_unit_id else "",
            "、".join(a.unit.name for a in case.co_assignments),
            redact(case.resolution_note),
            gettext("是") if case.is_overdue else "",
            timeline.summary(case.events.all()),
            case.external_id or "",
        ]


def _active_creator(run: JobRun, message: str) -> Any:
    """The account that started the job: what it may see is what the file holds."""
    user = run.job.created_by
    if user is None or not user.is_active:
        raise Forbidden(message)
    return user


def _export(run: JobRun) -> Outcome:
    user = _active_creator(run, gettext("发起导出的账号已停用"))
    path = run.workdir / "export.xlsx"
    with reading_from_replica():
        cases = export_cases(user, run.params.get("filter", {}))
        total = cases.count()
        # Rows stream to the file, memory stays flat for any number of cases.
        wb = XlsxWriter()
        ws = wb.sheet(gettext("工单"))
        ws.append([gettext(c) for c in EXPORT_COLUMNS])
        done = 0
        rows = export_rows(user, cases.iterator(chunk_size=EXPORT_CHUNK))
        for row in run.track(rows, total, every=PROGRESS_EVERY, message=gettext_noop("正在导出")):
            ws.append(row)
            done += 1
        wb.save(path)
    return Outcome(
        summary=[(gettext_noop("工单数"), done)],
        file=path,
        file_name=f"cases-{clock.localtime():%Y%m%d-%H%M}.xlsx",
        done=done,
    )


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def _rate_cells(row: dict[str, Any]) -> list[Any]:
    cells: list[Any] = []
    for rate in metrics.RATES:
        cells += [row[f"{rate.key}_rate"], row[f"{rate.key}_numerator"], row[f"{rate.key}_denominator"]]
    return cells


def _report(run: JobRun) -> Outcome:
    user = _active_creator(run, gettext("发起报表的账号已停用"))
    street_id = int(run.params["street_id"])
    first = parse_month(run.params["month"])
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    steps = 1 + len(REPORT_GROUPS)  # the overview, then one sheet per group
    run.progress(0, steps, gettext_noop("正在统计"))
    rate_header: list[str] = []
    for rate in metrics.RATES:
        rate_header += [str(rate.label), str(rate.numerator_label), str(rate.denominator_label)]
    wb = XlsxWriter()
    path = run.workdir / "report.xlsx"
    with reading_from_replica():
        street = Area.objects.get(pk=street_id)
        total = metrics.summary(user, street=street_id, date_from=first, date_to=last)
        ws = wb.sheet(gettext("概况"))
        ws.append([gettext("街道"), street.name])
        ws.append([gettext("月份"), f"{first:%Y-%m}"])
        ws.append([gettext("工单总数"), total["total"]])
        ws.append([gettext("超期"), total["overdue"]])
        ws.append([])
        ws.append([gettext("指标"), gettext("比率"), gettext("分子"), gettext("分母")])
        for rate in metrics.RATES:
            ws.append(
                [
                    str(rate.label),
                    total[f"{rate.key}_rate"],
                    total[f"{rate.key}_numerator"],
                    total[f"{rate.key}_denominator"],
                ]
            )
        run.progress(1, steps)
        for done, group in enumerate(REPORT_GROUPS, start=2):
            rows = metrics.compute(user, street=street_id, date_from=first, date_to=last, group_by=group)
            ws = wb.sheet(str(metrics.GROUP_LABELS[group]))
            label = str(metrics.GROUP_LABELS[group])
            ws.append([label, gettext("总数"), gettext("已结案"), gettext("超期"), *rate_header])
            for row in rows:
                name = row["name"] if row["key"] else gettext("未归属")
                ws.append([name, row["total"], row["by_status"]["closed"], row["overdue"], *_rate_cells(row)])
            run.progress(done, steps)
        wb.save(path)
    return Outcome(
        summary=[
            (gettext_noop("工单总数"), total["total"]),
            (gettext_noop("响应率"), _percent(total["response_rate"])),
            (gettext_noop("解决率"), _percent(total["resolution_rate"])),
            (gettext_noop("满意率"), _percent(total["satisfaction_rate"])),
        ],
        file=path,
        file_name=f"report-{street.code}-{first:%Y%m}.xlsx",
        done=steps,
    )


def start_batch(user: Any, action: str, selection: batch.Selection, params: dict[str, Any]) -> Job:
    """A big selection of the workbench (cases.batch) as a job: the same action per case."""
    stored = {"action": action, "selection": [f"{pk}:{v}" for pk, v in selection], "params": params}
    return core_jobs.submit(BATCH, user, street_id=_home_street(user), params=stored)


def _batch(run: JobRun) -> Outcome:
    """Each case through its action as the job's creator; a rerun (a redelivered task) finds
    the cases done before at a newer version and reports them as conflicts, never twice done."""
    selection = batch.parse_selection(run.params["selection"])
    total = len(selection)
    run.progress(0, total, gettext("正在处理"))
    results = batch.run_batch(
        run.job.created_by,
        run.params["action"],
        selection,
        run.params.get("params") or {},
        progress=lambda done: run.progress(done, total),
    )
    done = sum(r.done for r in results)
    return Outcome(
        summary=[(gettext_noop("已完成"), done), (gettext_noop("未执行"), total - done)],
        data={"lines": [r.line() for r in results]},
        done=total,
    )


# ---------------------------------------------------------------------------- kinds

# Labels are on the job pages; the capabilities are declared in capabilities.py.
for _name, _label, _body, _capability in (
    (IMPORT, _("12345 工单导入"), _import, "cases.import"),
    (EXPORT, _("工单导出"), _export, "cases.export"),
    (REPORT, _("月度办理成效报表"), _report, "cases.metrics"),
    (BATCH, _("工单批量操作"), _batch, "cases.act"),
    (TRAIN, _("训练智能派单模型"), _train, "cases.intake_model"),
):
    core_jobs.register(
        JobKind(
            name=_name,
            label=_label,
            run=_body,
            capability=_capability,
            queue="bulk",
            user_errors=(hotline.ImportFileError, CaseError, TrainingError),
        )
    )
