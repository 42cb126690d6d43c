"""The one filter over persons of the registry: the list page, its Excel export, `GET
/api/v1/residents/persons` and the counts use `PersonFilterSet`, so the same parameters give the
same persons everywhere. The queryset given is already `Person.objects.restrict(user, "view")`;
a care kind is looked up among the care tags the reader may see (CareTagQuerySet), so asking
for a sensitive kind one may not see finds nobody rather than telling who has it."""

from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.filters import AreaFilter, CheckedFilterSet, known_areas
from civicgrid.core import clock, personal
from civicgrid.core.choices import Action
from civicgrid.core.widgets import FastSelect
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from . import idcard
from .care import born_on_or_before
from .choices import AgeBand, CareKind, Employment, ResidenceStatus, Sex
from .models import CareTag, Person


def area_q(area: Area, prefix: str = "household__flat__building__") -> Q:
    """Rows of a household whose building lies in the area's subtree."""
    if area.kind == AreaKind.DISTRICT:
        return Q(**{f"{prefix}street__parent": area})
    if area.kind == AreaKind.STREET:
        return Q(**{f"{prefix}street": area})
    return Q(**{f"{prefix}grid__path__startswith": area.path}) | Q(
        **{f"{prefix}residential_area__path__startswith": area.path}
    )


class PersonFilterSet(CheckedFilterSet):
    q = django_filters.CharFilter(label=_("姓名、证件号码或电话"), method="filter_text")
    area = AreaFilter(label=_("区域"), method="filter_area")
    building = django_filters.NumberFilter(label=_("楼栋"), field_name="household__flat__building_id")
    care = django_filters.ChoiceFilter(
        label=_("关爱类别"),
        choices=[("any", _("任一关爱类别")), *CareKind.choices],
        method="filter_care",
        widget=FastSelect,
        empty_label=_("全部"),
    )
    age = django_filters.ChoiceFilter(
        label=_("高龄"), choices=AgeBand.choices, method="filter_age", empty_label=_("全部")
    )
    residence = django_filters.ChoiceFilter(
        label=_("居住状态"), choices=ResidenceStatus.choices, empty_label=_("全部")
    )
    employment = django_filters.ChoiceFilter(
        label=_("就业状况"), choices=Employment.choices, empty_label=_("全部")
    )
    sex = django_filters.ChoiceFilter(label=_("性别"), choices=Sex.choices, empty_label=_("全部"))
    current = django_filters.BooleanFilter(
        label=_("仅现住人员"),
        method="filter_current",
        widget=forms.Select(choices=[("", _("全部")), ("true", _("是")), ("false", _("否"))]),
    )

    class Meta:
        model = Person
        fields: list[str] = []

    def __init__(self, data: Mapping[str, Any] | None = None, queryset: Any = None, *, user: Any) -> None:
        self.sent_as = {}
        super().__init__(data, queryset)
        self.user = user
        area = self.form.fields["area"]
        area.areas = known_areas(user)  # type: ignore[attr-defined]

    def filter_text(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        text = value.strip()
        if not text:
            return qs
        match = Q(name__contains=text)
        digits = "".join(text.split())
        if len(digits) >= 7 and digits[:-1].isdigit():
            # A whole number typed: found by its keyed hash, never by decrypting the table.
            match |= personal.matching(Person, "id_number", idcard.normalise(digits))
            match |= personal.matching(Person, "phone", digits)
        return qs.filter(match)

    def filter_area(self, qs: QuerySet[Person], name: str, value: Area) -> QuerySet[Person]:
        return qs.filter(area_q(value))

    def filter_care(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        tags = CareTag.objects.restrict(self.user, Action.VIEW).active(clock.today())
        if value != "any":
            tags = tags.filter(kind=value)
        return qs.filter(pk__in=tags.values("person_id"))

    def filter_age(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        return qs.filter(birth_date__lte=born_on_or_before(int(value), clock.today()))

    def filter_current(self, qs: QuerySet[Person], name: str, value: bool | None) -> QuerySet[Person]:
        return qs.current() if value else qs  # type: ignore[attr-defined]


def persons(user: Any, params: Mapping[str, Any] | None = None) -> QuerySet[Person]:
    """The persons `user` may see narrowed by `params` (InvalidInput naming a bad one)."""
    qs = Person.objects.restrict(user, Action.VIEW)
    return PersonFilterSet(params or None, qs, user=user).checked()
