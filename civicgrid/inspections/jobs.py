"""The background exports of inspections (core.jobs): places, orders or inspection records as
an .xlsx, filtered like the oversight pages (kind of place, residential area, an order's
status and whether it is overdue, a date range), restricted to what the job's creator may
see when it runs. Responsible persons' phones leave masked (PersonalValue's text); free text
goes through core.redact."""

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from civicgrid.core import capabilities, clock
from civicgrid.core import jobs as core_jobs
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError, Forbidden
from civicgrid.core.jobs import JobKind, JobRun, Outcome
from civicgrid.core.models import Job
from civicgrid.core.redact import redact
from civicgrid.core.scope import user_scope
from civicgrid.core.spreadsheets import XlsxWriter

from .choices import OrderStatus, PlaceKind, TaskStatus
from .filters import PlaceFilterSet
from .models import Inspection, Order, Place, Task
from .order_filters import OPEN, OrderFilterSet
from .oversight import Period
from .task_filters import TaskFilterSet

EXPORT = "inspections.export"
CHUNK = 1000
PROGRESS_EVERY = 500


class What:
    PLACES, ORDERS, INSPECTIONS, TASKS = "places", "orders", "inspections", "tasks"
    CHOICES = ((PLACES, _("检查场所")), (ORDERS, _("整改通知")), (INSPECTIONS, _("检查记录")))


class ExportForm(forms.Form):
    what = forms.ChoiceField(label=_("导出内容"), choices=What.CHOICES, initial=What.ORDERS)
    kind = forms.ChoiceField(
        label=_("场所类型"), choices=[("", _("全部"))] + PlaceKind.choices, required=False
    )
    area = forms.IntegerField(label=_("居民区"), required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("整改状态"),
        choices=[("", _("全部")), (OPEN, _("未销号")), *OrderStatus.choices],
        required=False,
    )
    overdue = forms.BooleanField(label=_("仅逾期"), required=False)
    start = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _home_street(user: Any) -> int | None:
    scope = user_scope(user)
    if scope is None or scope.is_global or len(scope.street_ids) != 1:
        return None
    return next(iter(scope.street_ids))


def start_export(user: Any, cleaned: dict[str, Any]) -> Job:
    if not core_jobs.may_start(user, EXPORT):
        raise Forbidden(gettext("无权导出检查和整改数据"))
    params = {
        k: (v.isoformat() if isinstance(v, date) else v)
        for k, v in cleaned.items()
        if v not in ("", None, False)
    }
    return core_jobs.submit(EXPORT, user, street_id=_home_street(user), params=params)


def start_task_export(user: Any, query: Any) -> Job:
    """The task list's filter (its query string, TaskFilterSet's parameters) as an export:
    checked now (a bad parameter is InvalidInput naming it) and again, as the requester, when
    the job runs."""
    if not core_jobs.may_start(user, EXPORT):
        raise Forbidden(gettext("无权导出检查和整改数据"))
    chosen = {name: str(query.get(name)) for name in TASK_PARAMS if query.get(name) not in (None, "")}
    tasks(user, {"filter": chosen})
    return core_jobs.submit(
        EXPORT, user, street_id=_home_street(user), params={"what": What.TASKS, "filter": chosen}
    )


# ---------------------------------------------------------------------------- selecting


def _dates(params: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The [start, end) instants of the Beijing days chosen (either may be open)."""
    start = date.fromisoformat(params["start"]) if params.get("start") else None
    end = date.fromisoformat(params["end"]) if params.get("end") else None
    low = Period(start, start).bounds()[0] if start else None
    high = Period(end, end).bounds()[1] if end else None
    return low, high


def _narrow(qs: QuerySet[Any], params: dict[str, Any], place: str, at: str) -> QuerySet[Any]:
    if params.get("kind"):
        qs = qs.filter(**{f"{place}kind": params["kind"]})
    if params.get("area"):
        qs = qs.filter(**{f"{place}grid__parent_id": params["area"]})
    low, high = _dates(params)
    if low is not None:
        qs = qs.filter(**{f"{at}__gte": low})
    if high is not None:
        qs = qs.filter(**{f"{at}__lt": high})
    return qs


def places(user: Any, params: dict[str, Any]) -> QuerySet[Place]:
    """The places the list page would show for the same kind and area (PlaceFilterSet)."""
    chosen = {name: params[name] for name in ("kind", "area") if params.get(name)}
    qs = PlaceFilterSet(chosen, Place.objects.restrict(user, Action.VIEW), user=user).checked()
    return qs.select_related("grid__parent", "building").order_by("kind", "name", "pk")


def orders(user: Any, params: dict[str, Any]) -> QuerySet[Order]:
    """The orders the list page would show for the same parameters (OrderFilterSet)."""
    chosen = {name: params[name] for name in ("kind", "area", "status") if params.get(name)}
    if params.get("overdue"):
        chosen["overdue"] = "true"
    if params.get("start"):
        chosen["issued_from"] = params["start"]
    if params.get("end"):
        chosen["issued_to"] = params["end"]
    qs = OrderFilterSet(chosen, Order.objects.restrict(user, Action.VIEW), user=user).checked()
    return qs.select_related("place__grid__parent").order_by("issued_at", "pk")


def inspections(user: Any, params: dict[str, Any]) -> QuerySet[Inspection]:
    qs = Inspection.objects.restrict(user, Action.VIEW).select_related("place__grid__parent", "inspector")
    return _narrow(qs, params, "place__", "inspected_at").order_by("inspected_at", "pk")


TASK_PARAMS = tuple(TaskFilterSet.base_filters)


def tasks(user: Any, params: dict[str, Any]) -> QuerySet[Task]:
    """The tasks the task list shows for the same query string (TaskFilterSet), in its order."""
    visible = Task.objects.restrict(user, Action.VIEW)
    qs = TaskFilterSet(params.get("filter") or {}, visible, user=user).checked()
    return qs.select_related("place__grid__parent", "assignee", "unit").order_by("due_on", "id")


# ---------------------------------------------------------------------------- rows


def _when(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


def _area(place: Place) -> str:
    return place.grid.parent.name if place.grid and place.grid.parent else ""


def place_rows(qs: QuerySet[Place]) -> Iterator[list[Any]]:
    yield [
        gettext("场所类型"),
        gettext("名称"),
        gettext("居民区"),
        gettext("地址"),
        gettext("责任人"),
        gettext("责任人电话"),
        gettext("风险等级"),
        gettext("在管"),
    ]
    for p in qs.iterator(chunk_size=CHUNK):
        yield [
            p.get_kind_display(),
            p.name,
            _area(p),
            p.address,
            p.responsible_name,
            str(p.responsible_phone),  # the mask (PersonalValue)
            p.get_risk_display(),
            gettext("是") if p.active else gettext("否"),
        ]


def order_rows(qs: QuerySet[Order]) -> Iterator[list[Any]]:
    yield [
        gettext("通知书编号"),
        gettext("场所"),
        gettext("场所类型"),
        gettext("居民区"),
        gettext("严重程度"),
        gettext("存在问题"),
        gettext("下达时间"),
        gettext("整改期限至"),
        gettext("状态"),
        gettext("逾期"),
        gettext("督办"),
        gettext("销号时间"),
    ]
    for o in qs.iterator(chunk_size=CHUNK):
        yield [
            o.number,
            o.place.name,
            o.place.get_kind_display(),
            _area(o.place),
            o.get_severity_display(),
            redact(o.finding),
            _when(o.issued_at),
            _when(o.due_at),
            o.get_status_display(),
            gettext("是") if o.is_overdue else gettext("否"),
            o.get_escalation_display(),
            _when(o.closed_at),
        ]


def inspection_rows(qs: QuerySet[Inspection]) -> Iterator[list[Any]]:
    yield [
        gettext("检查时间"),
        gettext("场所"),
        gettext("场所类型"),
        gettext("居民区"),
        gettext("检查类型"),
        gettext("检查人"),
        gettext("合格项"),
        gettext("不合格项"),
        gettext("不适用项"),
    ]
    for i in qs.iterator(chunk_size=CHUNK):
        yield [
            _when(i.inspected_at),
            i.place.name,
            i.place.get_kind_display(),
            _area(i.place),
            i.get_purpose_display(),
            str(i.inspector) if i.inspector else "",
            i.passed,
            i.failed,
            i.not_applicable,
        ]


def task_rows(qs: QuerySet[Task], names: bool) -> Iterator[list[Any]]:
    """The task list's columns; inspectors' names only for whom the list shows them."""
    yield [
        gettext("场所"),
        gettext("场所类型"),
        gettext("居民区"),
        gettext("任务类型"),
        gettext("检查期限"),
        gettext("状态"),
        gettext("逾期"),
        gettext("检查人"),
    ]
    today = clock.today()
    for t in qs.iterator(chunk_size=CHUNK):
        who = t.unit.name if t.unit else ""
        if names and t.assignee:
            who = t.assignee.full_name or t.assignee.username
        yield [
            t.place.name,
            t.place.get_kind_display(),
            _area(t.place),
            t.get_purpose_display(),
            t.due_on,
            t.get_status_display(),
            gettext("是") if t.status == TaskStatus.OPEN and t.due_on < today else "",
            who,
        ]


Source = tuple[Callable[[Any, dict[str, Any]], QuerySet[Any]], Callable[[Any], Iterator[list[Any]]], str]
SOURCES: dict[str, Source] = {
    What.PLACES: (places, place_rows, gettext_noop("检查场所")),
    What.ORDERS: (orders, order_rows, gettext_noop("整改通知")),
    What.INSPECTIONS: (inspections, inspection_rows, gettext_noop("检查记录")),
}


def _export(run: JobRun) -> Outcome:
    user = run.job.created_by
    if user is None or not user.is_active:
        raise Forbidden(gettext("发起任务的账号已停用"))
    what = run.params.get("what") or What.ORDERS
    if what == What.TASKS:
        qs: QuerySet[Any] = tasks(user, run.params)
        # Inspectors' names as the list shows them: to the office that assigns them.
        lines = task_rows(qs, capabilities.may(user, "inspections.plan"))
        title = gettext_noop("检查任务")
    else:
        select, rows, title = SOURCES[what]
        qs = select(user, run.params)
        lines = rows(qs)
    total = qs.count()
    wb = XlsxWriter()
    ws = wb.sheet(gettext(title))
    ws.append(next(lines))
    done = 0
    for row in run.track(lines, total, every=PROGRESS_EVERY, message=gettext_noop("正在导出")):
        ws.append(row)
        done += 1
    path = run.workdir / "export.xlsx"
    wb.save(path)
    return Outcome(
        summary=[(gettext_noop("行数"), done)],
        file=path,
        file_name=f"inspections-{what}-{clock.localtime():%Y%m%d-%H%M}.xlsx",
        done=done,
    )


core_jobs.register(
    JobKind(
        name=EXPORT,
        label=_("安全检查数据导出"),
        run=_export,
        capability="inspections.export",
        queue="bulk",
        user_errors=(ActionError,),
    )
)
