"""The volunteer pages' forms: a team and a volunteer, their fields built from the same
parameters the actions clean (actions.volunteers.TEAM_PARAMS, VOLUNTEER_PARAMS), so the page,
the API and the action agree; the volunteer's skills as checkboxes, and the street where the
reader has more than one."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.core.choices import Action
from civicgrid.core.params import Param
from civicgrid.core.widgets import SearchableSelect
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from ..actions.volunteers import TEAM_PARAMS, VOLUNTEER_PARAMS
from ..choices import Skill


class ParamsForm(forms.Form):
    params: tuple[Param, ...] = ()

    def __init__(self, *args: Any, user: Any, street: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            self.fields[param.name] = param.form_field(None, user)
        if street:
            streets = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")
            self.fields["street"] = forms.ModelChoiceField(label=_("街道"), queryset=streets)
            if len(streets) == 1:
                self.fields["street"].initial = streets[0].pk
            self.order_fields(["street"])

    def values(self) -> dict[str, Any]:
        """The cleaned values as the action takes them (rows by id)."""
        by_name = {p.name: p for p in self.params}
        return {
            name: by_name[name].form_value(value) if name in by_name and value is not None else value
            for name, value in self.cleaned_data.items()
        }


class TeamForm(ParamsForm):
    params = TEAM_PARAMS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["active"].initial = True  # a new team is active


class VolunteerForm(ParamsForm):
    params = VOLUNTEER_PARAMS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The registry and the accounts are long lists: searchable, rendered in Python.
        for name in ("person", "user"):
            field: Any = self.fields[name]
            field.widget = SearchableSelect()
            field.widget.choices = field.choices
        self.fields["skills"] = forms.MultipleChoiceField(
            label=_("特长"), choices=Skill.choices, required=False, widget=forms.CheckboxSelectMultiple
        )
