"""The one filter over rectification orders: the list page and `GET /api/v1/inspections/orders`
use `OrderFilterSet`, so the same parameters give the same orders. The queryset given is
already `Order.objects.restrict(user, "view")`: filtering never widens a scope."""

from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.filters import AreaFilter, CheckedFilterSet, DayFilter, YesNoFilter, known_areas
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .choices import OPEN_ORDER_STATUSES, Escalation, OrderStatus, PlaceKind, Severity
from .models import Order

YES_NO = [("", _("全部")), ("true", _("是")), ("false", _("否"))]


def area_q(area: Area) -> Q:
    """Orders whose place lies in the area's subtree."""
    if area.kind == AreaKind.DISTRICT:
        return Q(street__parent=area)
    if area.kind == AreaKind.STREET:
        return Q(street=area)
    return Q(place__grid__path__startswith=area.path)


# 未销号: every open status at once (the oversight page's counts link here with it).
OPEN = "open"


class OrderFilterSet(CheckedFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("状态"),
        choices=[(OPEN, _("未销号")), *OrderStatus.choices],
        empty_label=_("全部"),
        method="filter_status",
    )
    overdue = YesNoFilter(label=_("逾期"), field_name="is_overdue", widget=forms.Select(choices=YES_NO))
    escalation = django_filters.ChoiceFilter(
        label=_("督办"), choices=Escalation.choices, empty_label=_("全部")
    )
    severity = django_filters.ChoiceFilter(
        label=_("严重程度"), choices=Severity.choices, empty_label=_("全部")
    )
    kind = django_filters.ChoiceFilter(
        label=_("场所类型"), field_name="place__kind", choices=PlaceKind.choices, empty_label=_("全部")
    )
    area = AreaFilter(label=_("区域"), method="filter_area")
    issued_from = DayFilter(label=_("下达日期自"), field_name="issued_at", lookup_expr="date__gte")
    issued_to = DayFilter(label=_("下达日期至"), field_name="issued_at", lookup_expr="date__lte")

    class Meta:
        model = Order
        fields: list[str] = []

    def __init__(self, data: Mapping[str, Any] | None = None, queryset: Any = None, *, user: Any) -> None:
        self.sent_as = {}
        super().__init__(data, queryset)
        self.form.fields["area"].areas = known_areas(user)  # type: ignore[attr-defined]

    def filter_status(self, qs: QuerySet[Order], name: str, value: str) -> QuerySet[Order]:
        if not value:
            return qs
        return qs.filter(status__in=OPEN_ORDER_STATUSES) if value == OPEN else qs.filter(status=value)

    def filter_area(self, qs: QuerySet[Order], name: str, value: Area | None) -> QuerySet[Order]:
        return qs if value is None else qs.filter(area_q(value))
