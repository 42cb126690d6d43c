"""The dashboard's filter: a period (a preset or two days), an area, a category, a channel and a
lead unit. It is the case filter's own parameters (cases.filters.CaseFilterSet) plus `period`,
so every number on the dashboard, every link it opens (the workbench, with `figure=` for the
number's own condition), its exports and the reports read the same cases.

`DashboardFilters(request.GET, user)` never raises: a bad parameter is dropped with its error
shown (`errors`), the others still apply. `params` are the canonical case-filter parameters
(strings, dates as YYYY-MM-DD); `query` is what the dashboard's own URLs carry (the preset
kept, so a wall screen left on "本月" moves into the next month by itself)."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.choices import Channel
from civicgrid.cases.filters import (
    AreaField,
    CaseFilterSet,
    CategoryField,
    DayField,
    category_tree_choices,
    known_areas,
)
from civicgrid.cases.models import Case
from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.core.inputs import MAX_ID
from civicgrid.core.scope import user_scope
from civicgrid.core.widgets import FastSelect
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from ..hotspots import workbench_link

PERIODS = (
    ("today", _("今天")),
    ("7d", _("近7天")),
    ("week", _("本周")),
    ("month", _("本月")),
    ("last_month", _("上月")),
    ("30d", _("近30天")),
    ("year", _("今年")),
    ("custom", _("自定义")),
)
DEFAULT_PERIOD = "month"
# The case-filter parameters the dashboard passes on (besides the period's two days).
FILTERS = ("area", "category", "channel", "lead_unit")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def period_days(period: str, today: date) -> tuple[date, date]:
    """A preset's first and last day (both included) as of `today`."""
    if period == "today":
        return today, today
    if period == "7d":
        return today - timedelta(days=6), today
    if period == "30d":
        return today - timedelta(days=29), today
    if period == "week":
        return today - timedelta(days=today.weekday()), today
    if period == "last_month":
        last = _month_start(today) - timedelta(days=1)
        return _month_start(last), last
    if period == "year":
        return today.replace(month=1, day=1), today
    return _month_start(today), today


def previous_days(start: date, end: date) -> tuple[date, date]:
    """The period before: the month before for a period of whole calendar months (or this
    month so far: the same days of the month before), else the same number of days before."""
    if start.day == 1:
        before = _month_start(start - timedelta(days=1))
        span_end = end if end.month == start.month and end.year == start.year else None
        if span_end is not None:
            return before, min(_month_end(before), before + timedelta(days=(end - start).days))
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


class DashboardForm(forms.Form):
    """Validation reads only what a value needs (a code looked up, a unit checked); the
    selects' options are filled by `DashboardFilters.for_page()`, only for the page that shows
    them — a panel fragment, the map's data and the API never build them."""

    period = forms.ChoiceField(label=_("时段"), choices=PERIODS, required=False, widget=FastSelect)
    date_from = DayField(label=_("从"), required=False)
    date_to = DayField(label=_("至"), required=False)
    area = AreaField(label=_("区域"), required=False)
    category = CategoryField(label=_("问题分类"), required=False)
    channel = forms.ChoiceField(
        label=_("渠道"), choices=[("", _("全部渠道")), *Channel.choices], required=False, widget=FastSelect
    )
    lead_unit = forms.IntegerField(
        label=_("主办单位"), required=False, min_value=1, max_value=MAX_ID, widget=FastSelect
    )

    def __init__(self, data: Any, user: Any) -> None:
        super().__init__(data)
        self.user = user
        self.fields["area"].areas = known_areas(user)  # type: ignore[attr-defined]

    def clean_lead_unit(self) -> int | None:
        unit = self.cleaned_data.get("lead_unit")
        if unit is not None and not Unit.objects.restrict(self.user, Action.VIEW).filter(pk=unit).exists():
            raise forms.ValidationError(
                _("主办单位 %(value)s 不存在"), code="unknown", params={"value": unit}
            )
        return unit


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class DashboardFilters:
    def __init__(self, data: Any, user: Any, *, today: date | None = None) -> None:
        self.user = user
        self.today = today or clock.today()
        data = data or {}
        form = DashboardForm(data, user)
        form.is_valid()
        self.form = form
        self.errors = {name: " ".join(str(m) for m in e) for name, e in form.errors.items()}
        clean = {k: v for k, v in form.cleaned_data.items() if k not in self.errors}
        key = clean.get("period") or (
            "custom" if clean.get("date_from") or clean.get("date_to") else DEFAULT_PERIOD
        )
        if key == "custom":
            start, end = period_days(DEFAULT_PERIOD, self.today)
            start, end = clean.get("date_from") or start, clean.get("date_to") or end
            if start > end:
                self.errors["date_from"] = str(_("开始日期晚于结束日期"))
                start, end = period_days(DEFAULT_PERIOD, self.today)
                key = DEFAULT_PERIOD
        else:
            start, end = period_days(key, self.today)
        self.period = Period(key, start, end)
        self.previous = Period(key, *previous_days(start, end))
        self.area: Area | None = clean.get("area")
        self.category: str = clean.get("category") or ""
        self.channel: str = clean.get("channel") or ""
        self.lead_unit: int | None = clean.get("lead_unit")

    def for_page(self) -> "DashboardFilters":
        """Fill the form's selects: the reader's areas above grids, the category tree, units."""
        fields, user = self.form.fields, self.user
        areas = Area.objects.restrict(user, Action.VIEW).exclude(kind=AreaKind.GRID).order_by("path")
        fields["area"].widget.choices = [("", _("全部区域")), *areas.values_list("code", "name")]
        fields["category"].widget.choices = [("", _("全部分类")), *category_tree_choices()]
        units = Unit.objects.restrict(user, Action.VIEW).filter(is_active=True).order_by("name")
        fields["lead_unit"].widget.choices = [("", _("全部单位")), *units.values_list("pk", "name")]
        return self

    # ------------------------------------------------------------------ parameters

    @property
    def filters(self) -> dict[str, str]:
        """The case-filter parameters besides the period."""
        values = {
            "area": self.area.code if self.area else "",
            "category": self.category,
            "channel": self.channel,
            "lead_unit": str(self.lead_unit or ""),
        }
        return {k: v for k, v in values.items() if v}

    def params(self, period: Period | None = None, **extra: Any) -> dict[str, str]:
        """The case-filter parameters of the dashboard (of `period`, the current by default)."""
        period = period or self.period
        out = {**self.filters, "date_from": period.start.isoformat(), "date_to": period.end.isoformat()}
        out.update({k: str(v) for k, v in extra.items() if v not in (None, "")})
        return out

    @property
    def query(self) -> str:
        """The dashboard's own query string (its panels, its map data, wall mode)."""
        values = dict(self.filters)
        values["period"] = self.period.key
        if self.period.key == "custom":
            values.update(date_from=self.period.start.isoformat(), date_to=self.period.end.isoformat())
        return urlencode(values)

    def cases(self, period: Period | None = None, **extra: Any) -> Any:
        """The reader's cases under the dashboard's filter (and `extra` case-filter parameters)."""
        return CaseFilterSet(
            self.params(period, **extra), Case.objects.restrict(self.user, Action.VIEW), user=self.user
        ).checked()

    def link(self, period: Period | None = None, **extra: Any) -> str:
        """The workbench (all queues) listing exactly the cases of `cases(period, **extra)`:
        e.g. `link(figure="overdue", grid="G01")`."""
        return workbench_link(self.params(period, **extra))

    # ------------------------------------------------------------------ for insights.metrics

    def metrics_args(self, period: Period | None = None) -> dict[str, Any]:
        """Arguments of insights.metrics.summary()/compute(): a street as `street` (the rollups
        can answer), any other filter in `filters` (answered live by cases.metrics)."""
        period = period or self.period
        args: dict[str, Any] = {
            "date_from": period.start,
            "date_to": period.end,
            "category": self.category or None,
        }
        filters: dict[str, str] = {}
        if self.area is not None:
            if self.area.kind == AreaKind.STREET:
                args["street"] = self.area
            else:
                filters["area"] = self.area.code
        if self.channel:
            filters["channel"] = self.channel
        if self.lead_unit:
            filters["lead_unit"] = str(self.lead_unit)
        args["filters"] = filters or None
        return args

    # ------------------------------------------------------------------ where

    @property
    def street_ids(self) -> list[int]:
        """The streets the dashboard shows: the area's street(s), else the reader's."""
        if self.area is not None:
            if self.area.kind == AreaKind.DISTRICT:
                return list(
                    Area.objects.filter(parent=self.area, kind=AreaKind.STREET).values_list("pk", flat=True)
                )
            return [self.area.pk if self.area.kind == AreaKind.STREET else self.area.street_id]  # type: ignore[list-item]
        scope = user_scope(self.user)
        if scope is None:
            return []
        if scope.is_global:
            return list(Area.objects.filter(kind=AreaKind.STREET).values_list("pk", flat=True))
        return sorted(scope.street_ids)

    @property
    def single_street(self) -> Area | None:
        """The one street shown, when only one is (the map draws its grids)."""
        ids = self.street_ids
        return Area.objects.defer("geometry").get(pk=ids[0]) if len(ids) == 1 else None
