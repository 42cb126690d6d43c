"""The Excel export of source-governance plans (core.jobs): the rows of the list page under
the same filter parameters (insights.plan_filters), restricted to what the job's creator may
see when it runs."""

from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock
from civicgrid.core import jobs as core_jobs
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError, Forbidden
from civicgrid.core.jobs import JobKind, JobRun, Outcome
from civicgrid.core.models import Job
from civicgrid.core.redact import redact
from civicgrid.core.spreadsheets import XlsxWriter

from .models import GovernancePlan
from .plan_filters import PlanFilterSet, overdue_q

EXPORT = "insights.plans_export"
CHUNK = 1000
FILTERS = ("status", "street", "overdue", "owner_unit")


def plans(user: Any, params: Mapping[str, Any]) -> QuerySet[GovernancePlan]:
    """The plans the list page shows for these parameters, in its order (InvalidInput naming
    a bad parameter)."""
    chosen = {name: params[name] for name in FILTERS if params.get(name)}
    qs = PlanFilterSet(chosen, GovernancePlan.objects.restrict(user, Action.VIEW), user=user).checked()
    return (
        qs.select_related("street", "owner_unit", "owner")
        .annotate(linked=Count("cases"))
        .order_by("status", "deadline", "pk")
    )


def start_export(user: Any, params: Mapping[str, Any]) -> Job:
    if not core_jobs.may_start(user, EXPORT):
        raise Forbidden(gettext("无权导出源头治理方案"))
    chosen = {name: str(params[name]) for name in FILTERS if params.get(name)}
    plans(user, chosen)  # a bad parameter is refused now, not in the job
    return core_jobs.submit(EXPORT, user, params=chosen)


def plan_rows(qs: QuerySet[GovernancePlan]) -> Iterator[list[Any]]:
    yield [
        gettext("方案名称"),
        gettext("街道"),
        gettext("问题类型"),
        gettext("问题点"),
        gettext("责任单位"),
        gettext("责任人"),
        gettext("开始实施日期"),
        gettext("完成时限"),
        gettext("状态"),
        gettext("逾期"),
        gettext("关联工单"),
        gettext("完成日期"),
        gettext("治理措施"),
        gettext("治理成效"),
    ]
    overdue = set(qs.filter(overdue_q()).values_list("pk", flat=True))
    for p in qs.iterator(chunk_size=CHUNK):
        yield [
            p.title,
            p.street.name,
            p.get_hotspot_kind_display(),
            p.hotspot_label,
            p.owner_unit.name if p.owner_unit else "",
            str(p.owner) if p.owner else "",
            p.started_on.isoformat(),
            p.deadline.isoformat(),
            p.get_status_display(),
            gettext("是") if p.pk in overdue else gettext("否"),
            p.linked,  # type: ignore[attr-defined]
            p.completed_on.isoformat() if p.completed_on else "",
            redact(p.measures),
            redact(p.result),
        ]


def _export(run: JobRun) -> Outcome:
    user = run.job.created_by
    if user is None or not user.is_active:
        raise Forbidden(gettext("发起任务的账号已停用"))
    qs = plans(user, run.params)
    total = qs.count()
    wb = XlsxWriter()
    ws = wb.sheet(gettext("源头治理方案"))
    lines = plan_rows(qs)
    ws.append(next(lines))
    done = 0
    for row in run.track(lines, total, message=gettext_noop("正在导出")):
        ws.append(row)
        done += 1
    path = run.workdir / "plans.xlsx"
    wb.save(path)
    return Outcome(
        summary=[(gettext_noop("行数"), done)],
        file=path,
        file_name=f"insights-plans-{clock.localtime():%Y%m%d-%H%M}.xlsx",
        done=done,
    )


core_jobs.register(
    JobKind(
        name=EXPORT,
        label=_("源头治理方案导出"),
        run=_export,
        capability="insights.plans.view",
        queue="bulk",
        user_errors=(ActionError,),
    )
)
