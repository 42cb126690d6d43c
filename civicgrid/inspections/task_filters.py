"""The one filter over inspection tasks: the task list page, `GET /api/v1/inspections/tasks` and
the home panel's "due this week" count read the same parameters, so a count and the list it
links to never disagree. The queryset given is already `Task.objects.restrict(user, "view")`."""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.filters import CheckedFilterSet, YesNoFilter
from civicgrid.core import clock
from civicgrid.core.inputs import MAX_ID

from .choices import TaskPurpose, TaskStatus
from .models import Task
from .order_filters import YES_NO

WEEK = "week"


def end_of_week() -> Any:
    """This week's Sunday (the home panel's horizon)."""
    today = clock.today()
    return today + timedelta(days=6 - today.weekday())


class TaskFilterSet(CheckedFilterSet):
    mine = YesNoFilter(label=_("只看我的"), method="filter_mine", widget=forms.Select(choices=YES_NO))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=TaskStatus.choices, empty_label=_("全部"))
    purpose = django_filters.ChoiceFilter(
        label=_("任务类型"), choices=TaskPurpose.choices, empty_label=_("全部")
    )
    overdue = YesNoFilter(label=_("只看逾期"), method="filter_overdue", widget=forms.Select(choices=YES_NO))
    due = django_filters.ChoiceFilter(
        label=_("到期"), choices=[(WEEK, _("本周到期（含逾期）"))], empty_label=_("全部"), method="filter_due"
    )
    plan = django_filters.NumberFilter(
        label=_("检查计划"), field_name="plan_id", min_value=1, max_value=MAX_ID, decimal_places=0
    )

    class Meta:
        model = Task
        fields: list[str] = []

    def __init__(self, data: Mapping[str, Any] | None = None, queryset: Any = None, *, user: Any) -> None:
        self.sent_as = {}
        self.user = user
        super().__init__(data, queryset)

    def filter_mine(self, qs: QuerySet[Task], name: str, value: bool | None) -> QuerySet[Task]:
        return qs.filter(assignee_id=self.user.pk) if value else qs

    def filter_overdue(self, qs: QuerySet[Task], name: str, value: bool | None) -> QuerySet[Task]:
        return qs.filter(status=TaskStatus.OPEN, due_on__lt=clock.today()) if value else qs

    def filter_due(self, qs: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        return qs.filter(status=TaskStatus.OPEN, due_on__lte=end_of_week()) if value == WEEK else qs
