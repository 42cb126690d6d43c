"""The one filter of each activities list (docs/architecture.md, "Filters"): the activities page,
its API list and the attendance figures hand their parameters to `ActivityFilterSet`, the venues
page and API to `VenueFilterSet`. The queryset given is already `restrict(user, "view")`; a venue
the reader cannot see is answered like an unknown one."""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.filters import CheckedFilterSet, DayFilter, start_of
from civicgrid.core.choices import Action

from ..choices import ActivityCategory, ActivityStatus, Audience, VenueKind
from ..models import Activity, Venue

ALL = _("全部")


class ActivityFilterSet(CheckedFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ActivityStatus.choices, empty_label=ALL)
    category = django_filters.ChoiceFilter(label=_("类别"), choices=ActivityCategory.choices, empty_label=ALL)
    audience = django_filters.ChoiceFilter(label=_("面向对象"), choices=Audience.choices, empty_label=ALL)
    venue = django_filters.ModelChoiceFilter(
        label=_("场所"),
        queryset=Venue.objects.none(),
        empty_label=ALL,
    )
    date_from = DayFilter(label=_("日期从"), method="filter_from")
    date_to = DayFilter(label=_("至"), method="filter_to")
    q = django_filters.CharFilter(
        label=_("关键词"),
        method="filter_text",
        max_length=60,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("活动名称、主办方")}),
    )

    class Meta:
        model = Activity
        fields: list[str] = []

    def __init__(self, data: Mapping[str, Any] | None = None, queryset: Any = None, *, user: Any) -> None:
        self.sent_as = {}
        super().__init__(data, queryset)
        venues = Venue.objects.restrict(user, Action.VIEW).order_by("kind", "name")
        self.filters["venue"].queryset = venues
        self.form.fields["venue"].queryset = venues  # type: ignore[attr-defined]

    def filter_from(self, qs: QuerySet[Activity], name: str, value: Any) -> QuerySet[Activity]:
        return qs.filter(starts_at__gte=start_of(value))

    def filter_to(self, qs: QuerySet[Activity], name: str, value: Any) -> QuerySet[Activity]:
        return qs.filter(starts_at__lt=start_of(value + timedelta(days=1)))

    def filter_text(self, qs: QuerySet[Activity], name: str, value: str) -> QuerySet[Activity]:
        text = value.strip()
        return qs.filter(Q(title__icontains=text) | Q(organiser__icontains=text)) if text else qs


class VenueFilterSet(CheckedFilterSet):
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=VenueKind.choices, empty_label=ALL)
    q = django_filters.CharFilter(label=_("名称"), field_name="name", lookup_expr="icontains", max_length=60)

    class Meta:
        model = Venue
        fields: list[str] = []

    def __init__(self, data: Mapping[str, Any] | None = None, queryset: Any = None, *, user: Any) -> None:
        self.sent_as = {}
        super().__init__(data, queryset)


def api_params(query: Any) -> dict[str, Any]:
    """A ninja query schema's values as the FilterSet's parameters (enums by their value)."""
    return {k: getattr(v, "value", v) for k, v in query.model_dump(exclude_none=True).items()}
