"""The practical projects' page forms: a project (new or edited), a target, a goal, a
milestone, a case to link. They only give the browser good inputs and choices in the reader's
scope; the actions (actions/projects.py) decide what is valid."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Category
from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.core.widgets import SearchableSelect, SearchableSelectMultiple
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from .choices import ProjectCategory, ProjectStatus
from .models import Project

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectForm(forms.Form):
    street = forms.ModelChoiceField(label=_("街道"), queryset=Area.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("项目名称"), max_length=120)
    category = forms.ChoiceField(label=_("类别"), choices=ProjectCategory.choices)
    description = forms.CharField(
        label=_("项目内容"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner_unit = forms.ModelChoiceField(
        label=_("责任单位"), queryset=Unit.objects.none(), required=False, widget=SearchableSelect()
    )
    owner_office = forms.CharField(
        label=_("责任科室"), max_length=60, required=False, help_text=_("责任单位与责任科室二者填一")
    )
    budget = forms.DecimalField(
        label=_("预算（万元）"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("计划完成日期"), widget=DATE)
    area = forms.ModelChoiceField(
        label=_("实施地点（居民区）"),
        queryset=Area.objects.none(),
        required=False,
        help_text=_("留空：全街道"),
    )
    parent = forms.ModelChoiceField(label=_("上级项目"), queryset=Project.objects.none(), required=False)
    weight = forms.IntegerField(label=_("在上级项目中的权重"), initial=1, min_value=1, max_value=100)
    case_categories = forms.ModelMultipleChoiceField(
        label=_("关联工单类别"),
        queryset=Category.objects.none(),
        required=False,
        widget=SearchableSelectMultiple(),
        help_text=_("项目范围内这些类别的工单计入本项目的关联工单"),
    )

    def __init__(self, *args: Any, user: Any, project: Project | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("year", clock.today().year)
        super().__init__(*args, **kwargs)
        streets = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")
        areas = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.RESIDENTIAL).order_by("code")
        parents = (
            Project.objects.restrict(user, Action.VIEW)
            .filter(targets__isnull=True)
            .exclude(status=ProjectStatus.CANCELLED)
            .order_by("-year", "title")
        )
        if project is not None:
            # Editing: street and year stay; the parent among the project's street and year.
            del self.fields["street"], self.fields["year"]
            parents = parents.filter(street_id=project.street_id, year=project.year).exclude(pk=project.pk)
            areas = areas.filter(street_id=project.street_id)
        else:
            self.fields["street"].queryset = streets  # type: ignore[attr-defined]
            if len(streets) == 1:
                self.fields["street"].initial = streets[0].pk
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["parent"].queryset = parents.distinct()  # type: ignore[attr-defined]
        self.fields["owner_unit"].queryset = Unit.objects.restrict(user, Action.VIEW).order_by("name")  # type: ignore[attr-defined]
        leaves = Category.objects.filter(children__isnull=True, is_active=True).order_by("code")
        self.fields["case_categories"].queryset = leaves  # type: ignore[attr-defined]

    @staticmethod
    def initial_of(project: Project) -> dict[str, Any]:
        return {
            "title": project.title,
            "category": project.category,
            "description": project.description,
            "owner_unit": project.owner_unit_id,
            "owner_office": project.owner_office,
            "budget": project.budget,
            "starts_on": project.starts_on,
            "ends_on": project.ends_on,
            "area": project.area_id,
            "parent": project.parent_id,
            "weight": project.weight,
            "case_categories": list(project.case_categories.values_list("pk", flat=True)),
        }


class TargetForm(forms.Form):
    name = forms.CharField(label=_("指标"), max_length=60, help_text=_("如“改造户数”“充电点”"))
    unit = forms.CharField(label=_("计量单位"), max_length=12, help_text=_("如“户”“处”"))
    goal = forms.DecimalField(label=_("目标值"), min_value=0, max_digits=12, decimal_places=2)


class GoalForm(forms.Form):
    goal = forms.DecimalField(label=_("目标值"), min_value=0, max_digits=12, decimal_places=2)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("节点"), max_length=80)
    due_on = forms.DateField(label=_("计划完成日期"), widget=DATE)


class CaseLinkForm(forms.Form):
    number = forms.CharField(label=_("工单编号"), max_length=32)
