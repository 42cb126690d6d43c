"""The one filter of the volunteer register (docs/architecture.md, "Filters"): the page
`/community/volunteers/` and `GET /api/v1/community/volunteers` hand their parameters to
`VolunteerFilterSet`, so the same parameters give the same volunteers. The queryset given is
already `restrict(user, "view")`; a team is looked up among the reader's teams, so another
street's team is answered like an unknown one."""

from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.filters import CheckedFilterSet
from civicgrid.core.choices import Action

from ..choices import Skill, VolunteerStatus
from ..models import Team, Volunteer

ALL = _("全部")


class VolunteerFilterSet(CheckedFilterSet):
    team = django_filters.ChoiceFilter(label=_("团队"), choices=[], empty_label=ALL)
    skill = django_filters.ChoiceFilter(
        label=_("特长"), choices=Skill.choices, empty_label=ALL, method="filter_skill"
    )
    status = django_filters.ChoiceFilter(label=_("状态"), choices=VolunteerStatus.choices, empty_label=ALL)
    q = django_filters.CharFilter(
        label=_("姓名或编号"),
        method="filter_text",
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    class Meta:
        model = Volunteer
        fields: list[str] = []

    def __init__(self, data: Mapping[str, Any] | None = None, queryset: Any = None, *, user: Any) -> None:
        self.sent_as = {}
        super().__init__(data, queryset)
        teams = Team.objects.restrict(user, Action.VIEW).order_by("name", "pk")
        self.form.fields["team"].choices = [("", ALL), *teams.values_list("pk", "name")]

    def filter_skill(self, rows: QuerySet[Volunteer], name: str, value: str) -> QuerySet[Volunteer]:
        # The list as JSON text holds each skill quoted: one query on SQLite and PostgreSQL.
        return rows.filter(skills__icontains=f'"{value}"') if value else rows

    def filter_text(self, rows: QuerySet[Volunteer], name: str, value: str) -> QuerySet[Volunteer]:
        text = value.strip()
        return rows.filter(Q(name__icontains=text) | Q(code__iexact=text)) if text else rows


def filtered(data: Mapping[str, Any], rows: QuerySet[Volunteer], user: Any) -> QuerySet[Volunteer]:
    """The volunteers the parameters select (InvalidInput naming a bad parameter)."""
    return VolunteerFilterSet(data, rows, user=user).checked()
