from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import EVENT_CHOICES


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
    events = forms.MultipleChoiceField(
        label=_("订阅事件"),
        choices=EVENT_CHOICES,
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

    def __init__(self, *args: Any, streets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["streets"].queryset = streets  # type: ignore[attr-defined]
