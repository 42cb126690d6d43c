"""The one filter of the 上门办 list and of the appointments (the page and the API list use
the same FilterSet; the queryset given is already restricted to the reader)."""

from typing import Any

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock
from civicgrid.programmes.filters import ALL, StreetFilter, StreetFiltered, api_params, filtered

from ..choices import AppointmentStatus, HomeServiceStatus
from ..models import Appointment, HomeService
from ..service_figures import bounds

__all__ = ["AppointmentFilterSet", "HomeServiceFilterSet", "api_params", "filtered"]


class HomeServiceFilterSet(StreetFiltered):
    street = StreetFilter()
    status = django_filters.ChoiceFilter(label=_("状态"), choices=HomeServiceStatus.choices, empty_label=ALL)
    mine = django_filters.BooleanFilter(label=_("只看我的上门任务"), method="assigned_to_me")
    overdue = django_filters.BooleanFilter(label=_("已超期未办结"), method="past_due")
    q = django_filters.CharFilter(label=_("编号或事项"), method="search", max_length=60)

    class Meta:
        model = HomeService
        fields: list[str] = []

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, user=user, **kwargs)

    def assigned_to_me(self, queryset: Any, name: str, value: bool) -> Any:
        return queryset.filter(assignee=self.user) if value else queryset

    def past_due(self, queryset: Any, name: str, value: bool) -> Any:
        open_ = queryset.filter(status__in=[HomeServiceStatus.REQUESTED, HomeServiceStatus.SCHEDULED])
        return open_.filter(due_on__lt=clock.today()) if value else queryset

    def search(self, queryset: Any, name: str, value: str) -> Any:
        return (
            queryset.filter(Q(number__icontains=value) | Q(item__name__icontains=value))
            if value
            else queryset
        )


class AppointmentFilterSet(StreetFiltered):
    street = StreetFilter()
    status = django_filters.ChoiceFilter(label=_("状态"), choices=AppointmentStatus.choices, empty_label=ALL)
    item = django_filters.NumberFilter(label=_("服务事项"), field_name="item_id")
    day = django_filters.DateFilter(label=_("预约日期"), method="on_day")

    class Meta:
        model = Appointment
        fields: list[str] = []

    def on_day(self, queryset: Any, name: str, value: Any) -> Any:
        start, end = bounds(value, value)
        return queryset.filter(slot__starts_at__gte=start, slot__starts_at__lt=end)
