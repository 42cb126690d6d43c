"""The background jobs of insights' reports part (core.jobs):

- `insights.reports`: the weekly or monthly reports (insights.reports.generate) of every street
  or of one, progress per street; started from the reports page or by the schedule
  (insights.tasks, with no requester: the job has no creator);
- `insights.dashboard_export`: the dashboard's rankings (units, grids) and its overdue open
  cases as an .xlsx, under the dashboard's filter (its query string), read as the requester.

Registered when the app is ready (insights.apps)."""

from datetime import date
from typing import Any

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from civicgrid.cases import jobs as case_jobs
from civicgrid.cases.metrics import GROUP_LABELS, RATES
from civicgrid.core import actions as core_actions
from civicgrid.core import clock
from civicgrid.core import jobs as core_jobs
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError, Forbidden, InvalidInput
from civicgrid.core.jobs import JobError, JobKind, JobRun, Outcome
from civicgrid.core.models import Job
from civicgrid.core.spreadsheets import XlsxWriter
from civicgrid.geo.models import Area

from . import metrics, reports
from .choices import ReportKind
from .dashboard.filters import DashboardFilters

REPORTS = "insights.reports"
DASHBOARD_EXPORT = "insights.dashboard_export"
CAPABILITY = "insights.dashboard"
RANKINGS = ("unit", "grid")
OVERDUE_FIGURE = "overdue_open"
PROGRESS_EVERY = 500


# ---------------------------------------------------------------------------- reports


def report_streets(user: Any) -> Any:
    """The streets whose reports `user` may make and read."""
    return Area.objects.restrict(user, Action.VIEW).streets().order_by("code")


def check_kind(value: Any) -> str:
    if value not in ReportKind.values:
        raise InvalidInput(gettext("报告类型无效"), {"kind": "invalid"})
    return str(value)


def check_day(value: Any) -> date:
    """The day a report is made "on" (its period is the week or month before)."""
    if value in (None, ""):
        return clock.today()
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        message = gettext("日期“%(v)s”无效，应为 YYYY-MM-DD") % {"v": value}
        raise InvalidInput(message, {"day": "invalid"}) from None
    if day > clock.today():
        raise InvalidInput(gettext("日期不能晚于今天"), {"day": "future"})
    return day


def start_reports(user: Any, kind: Any, street: Any, day: Any) -> Job:
    """The requester's job making one street's report (a street they see)."""
    if not core_jobs.may_start(user, REPORTS):
        raise Forbidden(gettext("无权生成周报月报"))
    checked_kind, checked_day = check_kind(kind), check_day(day)
    try:
        street_obj = report_streets(user).get(pk=int(street))
    except (TypeError, ValueError, Area.DoesNotExist):
        raise InvalidInput(gettext("请选择街道"), {"street": "invalid"}) from None
    params = {"kind": checked_kind, "street_id": street_obj.pk, "day": checked_day.isoformat()}
    return core_jobs.submit(REPORTS, user, street_id=street_obj.pk, params=params)


def scheduled_reports(kind: str, day: date | None = None) -> Job:
    """The schedule's job (no requester) making every street's report of `kind`: created and
    run here, in the beat task's worker, so it shows on the job pages like any other."""
    params = {"kind": check_kind(kind), "day": (day or clock.today()).isoformat()}
    job = core_actions.create_job(REPORTS, None, params=params)
    core_jobs.run(job.pk)
    job.refresh_from_db()
    return job


def _reports(run: JobRun) -> Outcome:
    kind = check_kind(run.params.get("kind"))
    day = date.fromisoformat(run.params["day"])
    streets = Area.objects.streets().order_by("code")
    if run.params.get("street_id"):
        streets = streets.filter(pk=run.params["street_id"])
    targets = list(streets.defer("geometry"))
    run.progress(0, len(targets), gettext_noop("正在生成报告"))
    made, skipped = [], []
    for done, street in enumerate(targets, start=1):
        report = reports.generate(street, kind, day)
        if report is None:
            skipped.append(street.name)
        else:
            made.append(report.pk)
        run.progress(done, len(targets))
    if not made and skipped:
        raise JobError(gettext("街道无在用的领导或管理员账号，未生成报告：%(s)s") % {"s": "、".join(skipped)})
    summary: list[tuple[str, Any]] = [(gettext_noop("已生成"), len(made))]
    if skipped:
        summary.append((gettext_noop("跳过（无领导或管理员账号）"), "、".join(skipped)))
    return Outcome(summary=summary, data={"reports": made}, done=len(targets))


# ---------------------------------------------------------------------------- dashboard export


def start_dashboard_export(user: Any, query: Any) -> Job:
    """The dashboard's export under its query string (kept as given: the filter is checked
    again when the job runs, as the requester)."""
    if not core_jobs.may_start(user, DASHBOARD_EXPORT):
        raise Forbidden(gettext("无权导出驾驶舱数据"))
    params = {"query": {k: str(query.get(k)) for k in query if query.get(k) not in (None, "")}}
    streets = DashboardFilters(params["query"], user).street_ids
    street_id = streets[0] if len(streets) == 1 else None
    return core_jobs.submit(DASHBOARD_EXPORT, user, street_id=street_id, params=params)


def ranking_rows(user: Any, filters: DashboardFilters, group_by: str) -> list[list[Any]]:
    """One row per group of the dashboard's ranking (most cases first), rates as fractions."""
    rows = metrics.compute(user, group_by=group_by, **filters.metrics_args())
    rows.sort(key=lambda r: (r["key"] is None, -r["total"], r["name"]))
    out = []
    for row in rows:
        cells: list[Any] = [row["name"] if row["key"] is not None else gettext("未归属")]
        cells += [row["total"], row["by_status"]["closed"], row["overdue"]]
        for rate in RATES:
            cells += [row[f"{rate.key}_rate"], row[f"{rate.key}_numerator"], row[f"{rate.key}_denominator"]]
        out.append(cells)
    return out


def overdue_cases(user: Any, filters: DashboardFilters) -> Any:
    """The dashboard's overdue open cases: the list `filters.link(figure=...)` opens."""
    return case_jobs.export_cases(user, {"queue": "all", **filters.params(figure=OVERDUE_FIGURE)})


def _dashboard_export(run: JobRun) -> Outcome:
    user = run.job.created_by
    if user is None or not user.is_active:
        raise Forbidden(gettext("发起导出的账号已停用"))
    filters = DashboardFilters(run.params.get("query") or {}, user)
    wb = XlsxWriter()
    rate_header: list[str] = []
    for rate in RATES:
        rate_header += [str(rate.label), str(rate.numerator_label), str(rate.denominator_label)]
    cases = overdue_cases(user, filters)
    total = cases.count()
    run.progress(0, total + len(RANKINGS), gettext_noop("正在导出"))
    for group in RANKINGS:
        label = str(GROUP_LABELS[group])
        ws = wb.sheet(gettext("%(group)s排名") % {"group": label})
        ws.append([label, gettext("总数"), gettext("已结案"), gettext("超期"), *rate_header])
        for row in ranking_rows(user, filters, group):
            ws.append(row)
    ws = wb.sheet(gettext("超期未办结工单"))
    ws.append([gettext(c) for c in case_jobs.EXPORT_COLUMNS])
    done = 0
    rows = case_jobs.export_rows(user, cases.iterator(chunk_size=case_jobs.EXPORT_CHUNK))
    for row in run.track(rows, total, every=PROGRESS_EVERY):
        ws.append(row)
        done += 1
    path = run.workdir / "dashboard.xlsx"
    wb.save(path)
    period = filters.period
    return Outcome(
        summary=[(gettext_noop("超期未办结工单"), done)],
        file=path,
        file_name=f"dashboard-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx",
        done=done,
    )


core_jobs.register(
    JobKind(
        name=REPORTS,
        label=_("周报月报生成"),
        run=_reports,
        capability=CAPABILITY,
        queue="bulk",
        user_errors=(ActionError,),
    )
)
core_jobs.register(
    JobKind(
        name=DASHBOARD_EXPORT,
        label=_("城运驾驶舱数据导出"),
        run=_dashboard_export,
        capability=CAPABILITY,
        queue="bulk",
        user_errors=(ActionError,),
    )
)
