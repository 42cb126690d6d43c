from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicgrid.core.admin import RestrictedInlineMixin, RestrictedModelAdmin
from civicgrid.core.choices import Action, Role
from civicgrid.geo.models import Area

from . import actions
from .choices import ApiScope, ScopeError, normalize_scopes
from .forms import NamePerStreet
from .models import ApiClient, ApiToken, Membership, User

# Only a superuser hands out superuser status or Django's own permission tables.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions")


class MembershipInline(RestrictedInlineMixin, admin.TabularInline):
    model = Membership
    extra = 1
    fields = ("area", "unit", "title")


@admin.register(User)
class UserAdmin(RestrictedModelAdmin, DjangoUserAdmin):
    list_display = ("username", "full_name", "phone", "role", "is_active", "is_staff", "is_service_account")
    list_filter = ("role", "is_active", "is_staff", "is_service_account")
    search_fields = ("username", "full_name")  # and the phone by its hash (RestrictedAdminMixin)
    inlines = (MembershipInline,)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "phone", "email", "language", "role")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "role", "password1", "password2")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_service_account:
            # An integration's account never gets into the admin (a check constraint too).
            readonly += ("is_staff", "is_superuser")
        return readonly

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**opts, "fields": tuple(f for f in opts["fields"] if f not in SUPERUSER_ONLY_FIELDS)})
            for name, opts in fieldsets
        ]


@admin.register(Membership)
class MembershipAdmin(RestrictedModelAdmin):
    list_display = ("user", "area", "unit", "title")
    search_fields = ("user__username", "user__full_name", "title")
    list_select_related = ("user", "area", "unit")


class ApiTokenAdminForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("权限范围"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiToken
        fields = ("name", "scopes", "expires_at", "revoked_at", "rate_limit")

    def clean_scopes(self) -> list[str]:
        try:
            return normalize_scopes(self.cleaned_data["scopes"])
        except ScopeError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(ApiToken)
class ApiTokenAdmin(RestrictedModelAdmin):
    """Tokens are created where the clear key can be shown once (the tokens page, the
    command), never here; the hash is not a form field at all."""

    form = ApiTokenAdminForm
    list_display = ("prefix", "name", "user", "scopes", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username", "user__full_name", "user__api_client__name")
    list_select_related = ("user",)
    fields = ("prefix", "user", "name", "scopes", "expires_at", "revoked_at", "rate_limit", "last_used_at")
    readonly_fields = ("prefix", "user", "last_used_at")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False


class ApiClientAdminForm(NamePerStreet, forms.ModelForm):
    role = forms.ChoiceField(label=_("服务账号角色"), choices=Role.choices, initial=Role.DISPATCHER)

    class Meta:
        model = ApiClient
        fields = ("name", "description", "active", "streets")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["role"].initial = self.instance.service_account.role


@admin.register(ApiClient)
class ApiClientAdmin(RestrictedModelAdmin):
    """Integrations; the service account is made on add and follows the streets, the role
    and the active switch (accounts.actions)."""

    form = ApiClientAdminForm
    list_display = ("name", "active", "service_account")
    list_filter = ("active",)
    search_fields = ("name", "description")
    list_select_related = ("service_account",)
    readonly_fields = ("service_account",)
    filter_horizontal = ("streets",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["name", "description", "active", "streets", "role"]
        return [*fields, "service_account"] if obj is not None else fields

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "streets":
            kwargs["queryset"] = Area.objects.restrict(request.user, Action.CHANGE).streets()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        role = form.cleaned_data["role"]
        if not change:
            obj.service_account = actions.new_service_account(obj.name, role)
        else:
            account = obj.service_account
            if (account.role, account.is_active) != (role, obj.active):
                account.role, account.is_active = role, obj.active
                account.save()
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        actions.sync_street_memberships(form.instance)
