from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from civicgrid.core.choices import Role
from civicgrid.geo.models import Area

from . import actions
from .choices import DEFAULT_SCOPES, ApiScope, ScopeError, normalize_scopes
from .models import ApiClient


class LoginForm(AuthenticationForm):
    """Django's login form with our labels; the login throttle sees the request through it
    (accounts.backends.LoginThrottleBackend)."""

    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码不正确。"),
        "inactive": _("该账户已停用。"),
    }


class TokenForm(forms.Form):
    """A new API token: name, scopes, lifetime (and, for integrations, a rate limit)."""

    name = forms.CharField(
        label=_("名称"), max_length=100, required=False, help_text=_("便于日后辨认，如“数据同步脚本”")
    )
    scopes = forms.MultipleChoiceField(
        label=_("权限范围"),
        choices=ApiScope.choices,
        initial=DEFAULT_SCOPES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("“读写”包含“只读”；全部接口的范围覆盖每个模块。"),
    )
    expires_days = forms.IntegerField(
        label=_("有效天数"),
        min_value=1,
        max_value=3650,
        required=False,
        initial=90,
        help_text=_("留空则不过期（不建议）"),
    )

    def clean_scopes(self) -> list[str]:
        try:
            return normalize_scopes(self.cleaned_data["scopes"])
        except ScopeError as exc:
            raise forms.ValidationError(str(exc)) from None


class IntegrationTokenForm(TokenForm):
    rate_limit = forms.IntegerField(
        label=_("每分钟请求上限"),
        min_value=0,
        required=False,
        help_text=_("留空使用系统默认值；0 表示不限"),
    )


class NamePerStreet:
    """For both integration forms (the page's and the admin's): the name must be free in each
    chosen street (accounts.actions.check_name)."""

    instance: Any  # None, or the integration being edited (either form)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # type: ignore[misc]
        if data.get("name") and data.get("streets"):
            try:
                actions.check_name(data["name"], list(data["streets"]), self.instance)
            except forms.ValidationError as exc:
                self.add_error("name", exc)  # type: ignore[attr-defined]
        return data


class IntegrationForm(NamePerStreet, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("如“12345 平台”"))
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    streets = forms.ModelMultipleChoiceField(
        label=_("所属街道"),
        queryset=Area.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("服务账号在这些街道任职，按所选角色行事"),
    )
    role = forms.ChoiceField(label=_("服务账号角色"), choices=Role.choices, initial=Role.DISPATCHER)
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args: Any, streets: Any, instance: ApiClient | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["streets"].queryset = streets  # type: ignore[attr-defined]
        if instance is None:
            del self.fields["active"]

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()
