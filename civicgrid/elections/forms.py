"""The round pages' forms: a new round, a rule override, one more committee's election. They
only give the browser good inputs; the actions (actions/rounds.py) decide what is valid."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .choices import Method
from .models import ElectionRound
from .rules import RULES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoundForm(forms.Form):
    street = forms.ModelChoiceField(label=_("街道"), queryset=Area.objects.none())
    name = forms.CharField(label=_("届次名称"), max_length=60, help_text=_("如“2026 换届”"))
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    election_day = forms.DateField(label=_("统一选举日"), widget=DATE)
    method = forms.ChoiceField(label=_("默认选举方式"), choices=Method.choices, initial=Method.DIRECT)
    seats = forms.IntegerField(
        label=_("默认应选名额"),
        initial=7,
        min_value=1,
        max_value=30,
        help_text=_("各居委会的方式和名额可在届次页逐个调整"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("year", clock.today().year)
        super().__init__(*args, **kwargs)
        streets = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")
        self.fields["street"].queryset = streets  # type: ignore[attr-defined]
        if len(streets) == 1:
            self.fields["street"].initial = streets[0].pk


class OverrideForm(forms.Form):
    key = forms.ChoiceField(label=_("规则"), choices=[(key, rule.label) for key, rule in RULES.items()])
    value = forms.CharField(
        label=_("调整为"), max_length=20, help_text=_("整数；比例写作分数（如 2/3）或小数")
    )
    reason = forms.CharField(
        label=_("调整理由（依据的文件、会议）"), widget=forms.Textarea(attrs={"rows": 2})
    )


class AddElectionForm(forms.Form):
    area = forms.ModelChoiceField(label=_("居委会（居民区）"), queryset=Area.objects.none())
    method = forms.ChoiceField(label=_("选举方式"), choices=Method.choices, initial=Method.DIRECT)
    seats = forms.IntegerField(label=_("应选名额"), initial=7, min_value=1, max_value=30)
    vice_chairs = forms.IntegerField(label=_("其中副主任"), initial=1, min_value=0, max_value=29)
    election_day = forms.DateField(
        label=_("选举日"), widget=DATE, required=False, help_text=_("不填则为本届统一选举日")
    )

    def __init__(self, *args: Any, user: Any, election_round: ElectionRound, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = (  # type: ignore[attr-defined]
            Area.objects.restrict(user, Action.VIEW)
            .filter(parent_id=election_round.street_id, kind=AreaKind.RESIDENTIAL)
            .exclude(pk__in=election_round.elections.values("area_id"))
            .order_by("code")
        )
