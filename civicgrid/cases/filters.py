"""The one filter over cases: the workbench page and its Excel export, `GET /api/v1/cases` and
the figures (cases.metrics, insights.metrics) all narrow their cases with `CaseFilterSet`, so
the same parameters give the same cases everywhere (cases/tests/test_filters.py).

One rule per criterion: a category means its whole branch (`CategoryQuerySet.branch()`), an
area its subtree, a period whole days in Asia/Shanghai from `date_from` to `date_to`, both
included. Each parameter keeps the names its users sent before (`received_from`/`received_to`
of the API are `date_from`/`date_to`), and a bad value is an error naming the parameter as the
client wrote it: a form error on the page, `InvalidInput` (400) for the API and the figures.
"""

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core import clock, personal
from civicgrid.core.choices import Action
from civicgrid.core.inputs import EARLIEST, LATEST, MAX_ID, as_id, date_problem
from civicgrid.core.widgets import FastSelect
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .choices import CaseStatus, Channel, PlaceStatus, RequestType, Urgency
from .errors import InvalidInput
from .figures import figure_choices, figure_q
from .models import Case, Category, Patrol

# Other names clients send for a parameter (the API list's names for the period).
ALIASES = {"received_from": "date_from", "received_to": "date_to"}


# ---------------------------------------------------------------------------- days


def local_day(value: Any) -> date | None:
    """A period bound as a day: YYYY-MM-DD, or a time (ISO 8601 or datetime), which stands for
    its day in Asia/Shanghai (a time without an offset is local already). ValueError if neither."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            return timezone.localtime(value, ZoneInfo(settings.TIME_ZONE)).date()
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        moment = parse_datetime(text)  # ValueError for a well-formed but impossible time
    if moment is None:
        raise ValueError(text)
    return local_day(moment)


def start_of(day: date) -> datetime:
    # Periods are calendar days in Asia/Shanghai, whatever the server's clock says.
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


class DayField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"})

    def to_python(self, value: Any) -> date | None:
        try:
            day = local_day(value)
        except ValueError:
            raise forms.ValidationError(
                _("日期“%(value)s”无效，应为 YYYY-MM-DD"), code="invalid", params={"value": value}
            ) from None
        if day is not None and date_problem(day):
            raise forms.ValidationError(
                _("日期“%(value)s”超出可接受的范围（%(earliest)s 至 %(latest)s）"),
                code="out_of_range",
                params={"value": value, "earliest": EARLIEST, "latest": LATEST},
            )
        return day


# ---------------------------------------------------------------------------- fields


class StatusSelect(FastSelect):
    """One status on the page; the API may repeat the parameter (status=new&status=filed)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)


class StatusesField(forms.MultipleChoiceField):
    """Statuses, repeated or comma-separated."""

    widget = StatusSelect

    def to_python(self, value: Any) -> list[str]:
        values = value if isinstance(value, list | tuple) else [value]
        return [part.strip() for v in values if v for part in str(v).split(",") if part.strip()]


def known_areas(user: Any) -> QuerySet[Area]:
    """The areas a reader may name in a filter: those restrict() shows them, and the places
    of the cases they see (a district-level unit's cases lie in streets it has no rows of)."""
    visible = Area.objects.restrict(user, Action.VIEW)
    cases = Case.objects.restrict(user, Action.VIEW).order_by()
    places = Q(pk__in=visible.values("pk"))
    for place in ("street_id", "street__parent_id", "residential_area_id", "grid_id"):
        places |= Q(pk__in=cases.values(place))
    return Area.objects.filter(places)


class AreaField(forms.Field):
    """An area by its code (or its id, as the workbench's older links have it), of one kind,
    among the reader's `known_areas()`: another street's code is answered exactly like an
    unknown one, so a filter never tells whether a code exists elsewhere."""

    widget = FastSelect
    default_error_messages = {"unknown": _("区域编码“%(value)s”不存在")}

    def __init__(self, *, kind: str | None = None, **kwargs: Any) -> None:
        self.kind = kind
        self.areas: QuerySet[Area] = Area.objects.none()  # CaseFilterSet sets the reader's
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Area | None:
        if value in (None, ""):
            return None
        if isinstance(value, Area):
            return value
        text = str(value).strip()
        match = Q(code=text)
        if (pk := as_id(text)) is not None:
            match |= Q(pk=pk)
        areas = self.areas.filter(match).defer("geometry")
        if self.kind:
            areas = areas.filter(kind=self.kind)
        found = sorted(areas[:2], key=lambda a: a.code != text)  # a code wins over an id
        if not found:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": text}
            )
        return found[0]


class CategoryField(forms.Field):
    """A category by code (or a Category, or its id); it stands for its whole branch. With
    `must_exist` an unknown code is an error (one query); without, it matches nothing, and
    the filter stays a subquery of the one query that reads the cases (the figures)."""

    widget = FastSelect
    default_error_messages = {"unknown": _("问题分类“%(value)s”不存在")}
    must_exist = True

    def to_python(self, value: Any) -> Category | int | str | None:
        if value in (None, ""):
            return None
        if isinstance(value, Category | int):
            return value
        code = str(value).strip()
        if self.must_exist and not Category.objects.filter(code=code).exists():
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": code}
            )
        return code


class YesNoField(forms.Field):
    """true/false (1/0); anything else is an error rather than no filter."""

    widget = forms.TextInput
    WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.WORDS[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(_("应为 true 或 false"), code="invalid") from None


class NumbersField(forms.Field):
    """Case numbers, comma-separated: the cases of a hot topic (insights.analysis). At most
    MAX_NUMBERS, so a link stays a link."""

    widget = forms.TextInput
    MAX_NUMBERS = 500

    def to_python(self, value: Any) -> list[str]:
        text = "" if value is None else str(value)
        numbers = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
        if len(numbers) > self.MAX_NUMBERS:
            raise forms.ValidationError(
                _("工单编号最多 %(max)s 个"), code="too_many", params={"max": self.MAX_NUMBERS}
            )
        return numbers


class CaseFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_from", forms.ValidationError(_("开始日期晚于结束日期"), code="after_date_to")
            )
        return data


# ---------------------------------------------------------------------------- filters


class DayFilter(django_filters.Filter):
    field_class = DayField


class StatusFilter(django_filters.Filter):
    field_class = StatusesField


class AreaFilter(django_filters.Filter):
    field_class = AreaField


class CategoryFilter(django_filters.Filter):
    field_class = CategoryField


class YesNoFilter(django_filters.Filter):
    field_class = YesNoField


class NumbersFilter(django_filters.Filter):
    field_class = NumbersField


def area_q(area: Area) -> Q:
    """Cases in the area's subtree, read from the case's own street / residential area / grid."""
    if area.kind == AreaKind.DISTRICT:
        return Q(street__parent=area)
    if area.kind == AreaKind.STREET:
        return Q(street=area)
    return Q(residential_area__path__startswith=area.path) | Q(grid__path__startswith=area.path)


def _choices(empty: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", empty), *choices]


class CheckedFilterSet(django_filters.FilterSet):
    """A FilterSet whose errors name each bad parameter as the client sent it (`sent_as`):
    the base of every app's list filter (docs/architecture.md, "Filters")."""

    sent_as: dict[str, str]

    def checked(self) -> QuerySet[Any]:
        """The filtered rows; InvalidInput naming each bad parameter as it was sent."""
        sent_as = getattr(self, "sent_as", {})
        if self.is_bound and not self.is_valid():
            errors = self.form.errors.as_data()
            fields = {sent_as.get(name, name): e[0].code or "invalid" for name, e in errors.items()}
            message = "；".join(
                f"{sent_as.get(name, name)}: {' '.join(m for err in e for m in err.messages)}"
                for name, e in errors.items()
            )
            raise InvalidInput(message, fields)
        return self.qs


class CaseFilterSet(CheckedFilterSet):
    """The parameters every case list accepts. The queryset given is already restricted to
    the reader (`Case.objects.restrict(user, "view")`): filtering never widens a scope, and
    the reader's areas are the only ones its area parameters know."""

    status = StatusFilter(
        label=_("状态"), choices=CaseStatus.choices, method="filter_status", widget=StatusSelect
    )
    grid = AreaFilter(label=_("网格"), kind=AreaKind.GRID, method="filter_area")
    category = CategoryFilter(label=_("问题分类"), method="filter_category")
    channel = django_filters.ChoiceFilter(
        label=_("渠道"), choices=Channel.choices, empty_label=_("全部渠道"), widget=FastSelect
    )
    date_from = DayFilter(label=_("受理日期从"), field_name="received_at", method="filter_from")
    date_to = DayFilter(label=_("至"), field_name="received_at", method="filter_to")
    q = django_filters.CharFilter(
        label=_("关键词"),
        method="filter_text",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("编号、内容、地址、完整电话")}),
    )
    request_type = django_filters.ChoiceFilter(label=_("诉求类型"), choices=RequestType.choices)
    urgency = django_filters.ChoiceFilter(label=_("紧急程度"), choices=Urgency.choices)
    street = AreaFilter(label=pgettext_lazy("singular", "街道"), kind=AreaKind.STREET, method="filter_area")
    residential_area = AreaFilter(
        label=pgettext_lazy("singular", "居民区"), kind=AreaKind.RESIDENTIAL, method="filter_area"
    )
    area = AreaFilter(label=_("区域（含下级）"), method="filter_area")
    lead_unit = django_filters.NumberFilter(
        label=_("主办单位"), field_name="lead_unit_id", min_value=1, max_value=MAX_ID, decimal_places=0
    )
    overdue = YesNoFilter(label=_("是否超期"), field_name="is_overdue")
    place_status = django_filters.ChoiceFilter(label=_("定位状态"), choices=PlaceStatus.choices)
    grid_conflict = YesNoFilter(label=_("网格冲突"), field_name="grid_conflict")
    # The cases behind one number of the figures (a gauge, a bar, a ranking cell): the
    # condition cases.metrics counts with (cases.figures), so the list is the count.
    figure = django_filters.ChoiceFilter(
        label=_("统计口径"), choices=figure_choices, method="filter_figure", widget=FastSelect
    )
    building = django_filters.NumberFilter(
        label=_("楼栋"), field_name="building_id", min_value=1, max_value=MAX_ID, decimal_places=0
    )
    # A whole address as recorded (the repeated-address hotspots group on it), not a search.
    address = django_filters.CharFilter(label=_("事发地址（完全一致）"), method="filter_address")
    # A set of cases by number (a hot topic's cases), comma-separated.
    ids = NumbersFilter(label=_("工单编号（逗号分隔）"), method="filter_ids")

    class Meta:
        model = Case
        fields: list[str] = []
        form = CaseFilterForm

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        queryset: Any = None,
        *,
        user: Any,
        check_codes: bool = True,
        **kwargs: Any,
    ) -> None:
        self.sent_as: dict[str, str] = {}
        if data is not None:
            data = self._canonical(data)
        super().__init__(data, queryset, **kwargs)
        self.form.fields["category"].must_exist = check_codes  # type: ignore[attr-defined]
        areas = known_areas(user)
        for field in self.form.fields.values():
            if isinstance(field, AreaField):
                field.areas = areas

    def _canonical(self, data: Mapping[str, Any]) -> Any:
        """The data under the filters' own names; remembers what the client called them."""
        if not any(name in data for name in ALIASES):
            return data
        out = data.copy() if hasattr(data, "copy") else dict(data)
        for alias, name in ALIASES.items():
            if alias in out:
                values = out.pop(alias)
                out[name] = values[-1] if isinstance(values, list) else values
                self.sent_as[name] = alias
        return out

    # ------------------------------------------------------------------------ page

    def for_page(self, user: Any) -> "CaseFilterSet":
        """Fill the selects of the workbench: the reader's grids, the whole category tree."""
        fields = self.form.fields
        fields["status"].widget.choices = _choices(_("全部状态"), CaseStatus.choices)
        grids = Area.objects.restrict(user, Action.VIEW).grids().order_by("code").values_list("code", "name")
        fields["grid"].widget.choices = _choices(_("全部网格"), [(code, name) for code, name in grids])
        fields["category"].widget.choices = _choices(_("全部分类"), category_tree_choices())
        return self

    # ------------------------------------------------------------------------ rules

    def filter_status(self, qs: QuerySet[Case], name: str, value: list[str]) -> QuerySet[Case]:
        return qs.filter(status__in=value) if value else qs

    def filter_area(self, qs: QuerySet[Case], name: str, value: Area) -> QuerySet[Case]:
        return qs.filter(area_q(value))

    def filter_category(self, qs: QuerySet[Case], name: str, value: Any) -> QuerySet[Case]:
        return qs.filter(category__in=Category.objects.branch(value))

    def filter_from(self, qs: QuerySet[Case], name: str, value: date) -> QuerySet[Case]:
        return qs.filter(received_at__gte=start_of(value))

    def filter_to(self, qs: QuerySet[Case], name: str, value: date) -> QuerySet[Case]:
        return qs.filter(received_at__lt=start_of(value + timedelta(days=1)))

    def filter_figure(self, qs: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return qs.filter(figure_q(value, clock.now())) if value else qs

    def filter_address(self, qs: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return qs.filter(address=value.strip()) if value.strip() else qs

    def filter_ids(self, qs: QuerySet[Case], name: str, value: list[str]) -> QuerySet[Case]:
        return qs.filter(number__in=value) if value else qs

    def filter_text(self, qs: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        text = value.strip()
        if not text:
            return qs
        return qs.filter(
            Q(number__icontains=text)
            | Q(title__icontains=text)
            | Q(description__icontains=text)
            | Q(address__icontains=text)
            # A whole phone number finds its cases through the hash (the column is encrypted).
            | personal.matching(Case, "reporter_phone", text)
        )


# Every parameter name a case list accepts (the filters' own and their aliases).
PARAMS = (*CaseFilterSet.base_filters, *ALIASES)


def category_tree_choices() -> list[tuple[str, str]]:
    """Every active category in tree order, indented by depth: a class selects its branch."""
    rows = Category.objects.order_by("code").linked()  # parents attached: no query per row
    return [(c.code, "\u3000" * (len(c.lineage()) - 1) + f"{c.code} {c.label}") for c in rows if c.is_active]


def filter_cases(
    qs: QuerySet[Case], params: Mapping[str, Any], *, user: Any, check_codes: bool = True
) -> QuerySet[Case]:
    """`qs` (the user's cases) narrowed by the parameters; InvalidInput (400) naming a bad one."""
    return CaseFilterSet(params, qs, user=user, check_codes=check_codes).checked()


class PatrolFilterSet(django_filters.FilterSet):
    """The patrol list and its summaries (cases/views/patrols.py): the period of the start in
    whole local days, a grid (its subtree), a worker. The queryset is already
    `Patrol.objects.restrict(user, "view")`."""

    date_from = DayFilter(label=_("开始日期从"), method="filter_from")
    date_to = DayFilter(label=_("至"), method="filter_to")
    grid = AreaFilter(label=_("网格"), kind=AreaKind.GRID, method="filter_grid")
    worker = django_filters.NumberFilter(
        label=_("网格员"), field_name="worker_id", min_value=1, max_value=MAX_ID, decimal_places=0
    )

    class Meta:
        model = Patrol
        fields: list[str] = []
        form = CaseFilterForm

    def __init__(self, data: Mapping[str, Any] | None = None, queryset: Any = None, *, user: Any) -> None:
        super().__init__(data, queryset)
        grid = self.form.fields["grid"]
        assert isinstance(grid, AreaField)
        grid.areas = Area.objects.restrict(user, Action.VIEW)

    def filter_from(self, qs: QuerySet[Patrol], name: str, value: date) -> QuerySet[Patrol]:
        return qs.filter(started_at__gte=start_of(value))

    def filter_to(self, qs: QuerySet[Patrol], name: str, value: date) -> QuerySet[Patrol]:
        return qs.filter(started_at__lt=start_of(value + timedelta(days=1)))

    def filter_grid(self, qs: QuerySet[Patrol], name: str, value: Area) -> QuerySet[Patrol]:
        return qs.filter(grid__path__startswith=value.path)
