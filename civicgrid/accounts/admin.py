from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicgrid.core.admin import RestrictedInlineMixin, RestrictedModelAdmin

from .models import Membership, User

# Only a superuser hands out superuser status or Django's own permission tables.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions")


class MembershipInline(RestrictedInlineMixin, admin.TabularInline):
    model = Membership
    extra = 1
    fields = ("area", "unit", "title")


@admin.register(User)
class UserAdmin(RestrictedModelAdmin, DjangoUserAdmin):
    list_display = ("username", "full_name", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "full_name", "phone")
    inlines = (MembershipInline,)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "phone", "email", "role")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "role", "password1", "password2")}),
    )

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
