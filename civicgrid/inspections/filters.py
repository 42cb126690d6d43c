"""The one filter over places under supervision: the list page and `GET
/api/v1/inspections/places` use `PlaceFilterSet`, so the same parameters give the same places.
The queryset given is already `Place.objects.restrict(user, "view")`; "has open orders" looks
only at the orders the reader may see."""

from collections.abc import Mapping
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.filters import AreaFilter, CheckedFilterSet, YesNoFilter, known_areas
from civicgrid.core.choices import Action
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .choices import PlaceKind, RiskLevel
from .models import Order, Place


def place_area_q(area: Area) -> Q:
    """Places in the area's subtree: by their grid, or their building's residential area."""
    if area.kind == AreaKind.DISTRICT:
        return Q(street__parent=area)
    if area.kind == AreaKind.STREET:
        return Q(street=area)
    return Q(grid__path__startswith=area.path) | Q(building__residential_area__path__startswith=area.path)


class PlaceFilterSet(CheckedFilterSet):
    q = django_filters.CharFilter(label=_("名称或地址"), method="filter_text")
    kind = django_filters.ChoiceFilter(label=_("场所类型"), choices=PlaceKind.choices, empty_label=_("全部"))
    risk = django_filters.ChoiceFilter(label=_("风险等级"), choices=RiskLevel.choices, empty_label=_("全部"))
    area = AreaFilter(label=_("区域"), method="filter_area")
    active = YesNoFilter(label=_("在管"), field_name="active")
    open_orders = YesNoFilter(label=_("有未完成整改"), method="filter_open_orders")

    class Meta:
        model = Place
        fields: list[str] = []

    def __init__(self, data: Mapping[str, Any] | None = None, queryset: Any = None, *, user: Any) -> None:
        self.sent_as = {}
        super().__init__(data, queryset)
        self.user = user
        self.form.fields["area"].areas = known_areas(user)  # type: ignore[attr-defined]

    def filter_text(self, qs: QuerySet[Place], name: str, value: str) -> QuerySet[Place]:
        text = value.strip()
        return qs.filter(Q(name__contains=text) | Q(address__contains=text)) if text else qs

    def filter_area(self, qs: QuerySet[Place], name: str, value: Area) -> QuerySet[Place]:
        return qs.filter(place_area_q(value))

    def filter_open_orders(self, qs: QuerySet[Place], name: str, value: bool | None) -> QuerySet[Place]:
        if value is None:
            return qs
        open_ = Order.objects.restrict(self.user, Action.VIEW).open().values("place_id")  # type: ignore[attr-defined]
        return qs.filter(pk__in=open_) if value else qs.exclude(pk__in=open_)


def places(user: Any, params: Mapping[str, Any] | None = None) -> QuerySet[Place]:
    """The places `user` may see narrowed by `params` (InvalidInput naming a bad one)."""
    qs = Place.objects.restrict(user, Action.VIEW)
    return PlaceFilterSet(params or None, qs, user=user).checked()
