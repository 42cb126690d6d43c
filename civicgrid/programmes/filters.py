"""The one filter per programmes list (docs/architecture.md, "Filters"): the pages and the API
lists of projects, welfare projects, proposals and member units hand their parameters to these
FilterSets, so the same parameters give the same rows. The queryset given is already
`restrict(user, "view")`: filtering never widens a scope, and a street the reader cannot see is
answered like an unknown one."""

from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.filters import CheckedFilterSet
from civicgrid.core.choices import Action
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .choices import MemberKind, ProjectCategory, ProjectStatus, ProposalStatus, WelfareStatus
from .models import MemberUnit, Project, Proposal, WelfareProject

ALL = _("全部")


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(field_name="year", label=_("年度"), min_value=2000, max_value=2100, **kwargs)


class StreetFilter(django_filters.ChoiceFilter):
    """A street by its code, among the reader's streets (set by `StreetFiltered`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(label=_("街道"), field_name="street__code", choices=[], empty_label=ALL, **kwargs)


class StreetFiltered(CheckedFilterSet):
    """A FilterSet whose `street` choices are the reader's streets."""

    def __init__(self, data: Mapping[str, Any] | None = None, queryset: Any = None, *, user: Any) -> None:
        self.sent_as = {}
        super().__init__(data, queryset)
        if "street" in self.form.fields:
            streets = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")
            self.form.fields["street"].choices = [("", ALL), *streets.values_list("code", "name")]


class ProjectFilterSet(StreetFiltered):
    year = YearFilter()
    street = StreetFilter()
    category = django_filters.ChoiceFilter(label=_("类别"), choices=ProjectCategory.choices, empty_label=ALL)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ProjectStatus.choices, empty_label=ALL)

    class Meta:
        model = Project
        fields: list[str] = []


class WelfareFilterSet(StreetFiltered):
    year = YearFilter()
    street = StreetFilter()
    status = django_filters.ChoiceFilter(label=_("状态"), choices=WelfareStatus.choices, empty_label=ALL)

    class Meta:
        model = WelfareProject
        fields: list[str] = []


class ProposalFilterSet(StreetFiltered):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ProposalStatus.choices, empty_label=ALL)
    category = django_filters.ChoiceFilter(label=_("类别"), choices=ProjectCategory.choices, empty_label=ALL)
    q = django_filters.CharFilter(label=_("案由"), field_name="title", lookup_expr="icontains", max_length=60)

    class Meta:
        model = Proposal
        fields: list[str] = []


class MemberFilterSet(StreetFiltered):
    q = django_filters.CharFilter(
        label=_("单位名称"), field_name="name", lookup_expr="icontains", max_length=50
    )
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=MemberKind.choices, empty_label=ALL)

    class Meta:
        model = MemberUnit
        fields: list[str] = []


def api_params(query: Any) -> dict[str, Any]:
    """A ninja query schema's values as the FilterSet's parameters (enums by their value)."""
    return {k: getattr(v, "value", v) for k, v in query.model_dump(exclude_none=True).items()}


def filtered(filterset: type[StreetFiltered], data: Mapping[str, Any], rows: QuerySet[Any], user: Any) -> Any:
    """The rows the parameters select (InvalidInput naming a bad parameter)."""
    return filterset(data, rows, user=user).checked()
