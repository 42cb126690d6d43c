"""The programmes app's background job (core.jobs): the year's report of representatives'
proposals (年度代表提案工作报告) of a street as a PDF, drawn by a worker."""

from typing import Any

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock
from civicgrid.core import jobs as core_jobs
from civicgrid.core.errors import Forbidden, NotFound
from civicgrid.core.jobs import JobKind, JobRun, Outcome
from civicgrid.core.models import Job
from civicgrid.core.pdf import render
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from . import reports

YEAR_REPORT = "programmes.year_report"


def start_year_report(user: Any, street: Area, year: int) -> Job:
    """The report of a street the caller found in their scope, drawn by a worker."""
    return core_jobs.submit(
        YEAR_REPORT, user, street_id=street.pk, params={"street": street.pk, "year": year}
    )


def _year_report(run: JobRun) -> Outcome:
    user = run.job.created_by
    if user is None or not user.is_active:
        raise Forbidden(gettext("发起任务的账号已停用"))
    street = (
        Area.objects.restrict(user, "view").filter(pk=int(run.params["street"]), kind=AreaKind.STREET).first()
    )
    if street is None:
        raise NotFound(gettext("街道不存在或不在你的管辖范围内"))
    year = int(run.params["year"])
    run.progress(0, 2, gettext_noop("正在统计"))
    context = reports.year_report(user, street, year, clock.today())
    run.progress(1, 2, gettext_noop("正在排版"))
    path = run.workdir / "proposals-year-report.pdf"
    path.write_bytes(render("programmes/print/year_report.html", context))
    figures = context["handling"]
    return Outcome(
        summary=[
            (gettext_noop("提案"), figures["total"]),
            (gettext_noop("按期答复"), figures["on_time"]),
            (gettext_noop("逾期未答复"), figures["overdue"]),
        ],
        data={"year": year, "street": street.pk},
        file=path,
        file_name=f"proposals-{street.code}-{year}.pdf",
        done=2,
    )


core_jobs.register(
    JobKind(
        name=YEAR_REPORT,
        label=_("年度代表提案工作报告（PDF）"),
        run=_year_report,
        capability="programmes.reports",
        queue="bulk",
        user_errors=(Forbidden, NotFound),
    )
)
