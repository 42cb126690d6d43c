"""The forms of the proposals pages: a session, a representative (with a searchable picker of
the street's registered persons), a proposal (proposer and co-signers pickers), the list's
filter and the year report's street and year."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock
from civicgrid.core.choices import Action
from civicgrid.core.widgets import SearchableSelect, SearchableSelectMultiple
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.residents.models import Person

from .choices import ProjectCategory, SessionKind
from .models import Representative, Session

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def streets(user: Any) -> Any:
    return Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")


class StreetForm(forms.Form):
    """A form whose first field is one of the reader's streets (preset when they have one)."""

    street = forms.ModelChoiceField(label=_("街道"), queryset=Area.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mine = streets(user)
        self.fields["street"].queryset = mine  # type: ignore[attr-defined]
        if len(mine) == 1:
            self.fields["street"].initial = mine[0].pk


class SessionForm(StreetForm):
    kind = forms.ChoiceField(label=_("会议类型"), choices=SessionKind.choices)
    title = forms.CharField(
        label=_("会议名称"), max_length=120, help_text=_("如“第三届居民代表会议第二次会议”")
    )
    held_on = forms.DateField(label=_("会议日期"), widget=DATE)
    proposals_until = forms.DateField(label=_("提案截止日期"), widget=DATE, required=False)
    note = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RepresentativeForm(StreetForm):
    name = forms.CharField(label=_("姓名"), max_length=40)
    person = forms.ModelChoiceField(
        label=_("对应实有人口"),
        queryset=Person.objects.none(),
        required=False,
        widget=SearchableSelect,  # a street registers tens of thousands of persons
        help_text=_("可选：在实有人口中找到该代表"),
    )
    area = forms.ModelChoiceField(label=_("所在居民区"), queryset=Area.objects.none(), required=False)
    affiliation = forms.CharField(label=_("界别/单位"), max_length=60, required=False)
    term_from = forms.DateField(label=_("任期开始"), widget=DATE)
    term_to = forms.DateField(label=_("任期结束"), widget=DATE, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        people = Person.objects.restrict(user, Action.VIEW).order_by("name", "pk").only("pk", "name")
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        areas = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.RESIDENTIAL).order_by("code")
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]


class EndTermForm(forms.Form):
    term_to = forms.DateField(label=_("离任日期"), widget=DATE)


class ProposalForm(forms.Form):
    """Filing (and, while filed, correcting) a proposal for one of the session's representatives."""

    proposer = forms.ModelChoiceField(
        label=_("提案人"), queryset=Representative.objects.none(), widget=SearchableSelect
    )
    cosigners = forms.ModelMultipleChoiceField(
        label=_("附议人"),
        queryset=Representative.objects.none(),
        required=False,
        widget=SearchableSelectMultiple,
    )
    title = forms.CharField(label=_("案由"), max_length=120)
    category = forms.ChoiceField(label=_("类别"), choices=ProjectCategory.choices)
    body = forms.CharField(label=_("提案内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args: Any, user: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reps = (
            Representative.objects.restrict(user, Action.VIEW)
            .filter(street_id=session.street_id, active=True)
            .order_by("name", "pk")
        )
        self.fields["proposer"].queryset = reps  # type: ignore[attr-defined]
        self.fields["cosigners"].queryset = reps  # type: ignore[attr-defined]


class YearReportForm(StreetForm):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("year", clock.today().year)
        super().__init__(*args, user=user, **kwargs)


class EditProposalForm(ProposalForm):
    """A filed proposal corrected: its text, category and co-signers (the proposer stays),
    with the version the editor read."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["proposer"]
