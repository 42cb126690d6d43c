"""The one filter over source-governance plans: the list page, `GET /api/v1/insights/plans`
and the Excel export use `PlanFilterSet`, so the same parameters give the same plans. The
queryset given is already `GovernancePlan.objects.restrict(user, "view")`: filtering never
widens a scope."""

from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.filters import CheckedFilterSet, YesNoFilter
from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .choices import PlanStatus
from .models import GovernancePlan
from .workflow import owner_units

YES_NO = [("", _("全部")), ("true", _("是")), ("false", _("否"))]


def overdue_q() -> Q:
    """Active plans whose deadline has passed (the deadline day itself still counts as in time)."""
    return Q(status=PlanStatus.ACTIVE, deadline__lt=clock.today())


class PlanFilterSet(CheckedFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=PlanStatus.choices, empty_label=_("全部"))
    street = django_filters.ChoiceFilter(
        label=_("街道"), field_name="street__code", choices=[], empty_label=_("全部")
    )
    overdue = YesNoFilter(label=_("逾期"), method="filter_overdue", widget=forms.Select(choices=YES_NO))
    owner_unit = django_filters.ModelChoiceFilter(
        label=_("责任单位"), queryset=Area.objects.none(), empty_label=_("全部")
    )

    class Meta:
        model = GovernancePlan
        fields: list[str] = []

    def __init__(self, data: Mapping[str, Any] | None = None, queryset: Any = None, *, user: Any) -> None:
        self.sent_as = {}
        super().__init__(data, queryset)
        streets = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")
        self.form.fields["street"].choices = [("", _("全部")), *streets.values_list("code", "name")]
        self.form.fields["owner_unit"].queryset = owner_units(user)  # type: ignore[attr-defined]

    def filter_overdue(
        self, qs: QuerySet[GovernancePlan], name: str, value: bool | None
    ) -> QuerySet[GovernancePlan]:
        if value is None:
            return qs
        return qs.filter(overdue_q()) if value else qs.exclude(overdue_q())
