from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import alias_choices, event_choices, event_kinds


class EventsField(forms.MultipleChoiceField):
    """The kinds offered as boxes; every name webhooks accepts (old aliases included) is valid."""

    def valid_value(self, value: Any) -> bool:
        return str(value) in event_kinds()


class SubscriptionForm(forms.Form):
    """The fields of a subscription; webhooks.actions validates them again (URL safety, scope)
    and the view puts its errors on the fields."""

    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("如“区城运中心大屏”"))
    url = forms.CharField(
        label=_("接收地址"),
        max_length=500,
        help_text=_("http:// 或 https://，建议 https；内网地址默认不允许"),
        widget=forms.URLInput(attrs={"size": 60, "placeholder": "https://example.gov.cn/civicgrid/hook"}),
    )
    events = EventsField(
        label=_("订阅事件"),
        choices=event_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("工单动态中的这些操作发生时推送"),
    )
    streets: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("街道范围"),
        queryset=None,  # set per user in __init__
        widget=forms.CheckboxSelectMultiple,
        help_text=_("只推送这些街道的工单"),
    )
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args: Any, streets: Any, held: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["streets"].queryset = streets  # type: ignore[attr-defined]
        # A subscription made with the old names keeps them (and hears under them) until unticked.
        old = [(kind, f"{label} ({kind})") for kind, label in alias_choices() if kind in held]
        self.fields["events"].choices = event_choices() + old  # type: ignore[attr-defined]
