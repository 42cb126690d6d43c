"""Webhooks in the Django admin, scoped through restrict() (core's admin mixin).

Read-only apart from admin actions that go through webhooks.actions: a subscription is
created and edited on its page (/webhooks/, which shows the secret once and checks the
URL); the secret never appears here."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.errors import CaseError
from civicgrid.core.admin import ReadOnlyAdminMixin, RestrictedModelAdmin

from . import actions
from .models import Delivery, Subscription


def _each(request: HttpRequest, queryset: QuerySet, func: Any, done: str) -> None:
    count = 0
    for obj in queryset:
        try:
            func(obj, request.user)
        except CaseError as exc:
            messages.error(request, f"{obj}: {exc.message}")
        else:
            count += 1
    if count:
        messages.success(request, f"{done}：{count}")


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    deletable = True
    list_display = ("name", "url", "active", "owner", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "url")
    fields = (
        "name",
        "url",
        "events",
        "streets",
        "active",
        "owner",
        "secret_set_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    list_select_related = ("owner",)
    actions = ["deactivate", "activate"]

    @admin.action(description=_("停用所选订阅"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(request, queryset, lambda s, user: actions.set_active(s, user, False), "已停用")

    @admin.action(description=_("启用所选订阅"))
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(request, queryset, lambda s, user: actions.set_active(s, user, True), "已启用")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        actions.delete_subscription(obj, request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            actions.delete_subscription(obj, request.user)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    # The log is kept (and purged after CIVICGRID_WEBHOOKS_RETENTION_DAYS).
    list_display = (
        "created_at",
        "event",
        "object_type",
        "object_number",
        "subscription",
        "status",
        "attempts",
        "response_status",
    )
    list_filter = ("status", "event")
    search_fields = ("case_number", "object_number", "=id")
    date_hierarchy = "created_at"
    list_select_related = ("subscription",)
    fields = (
        "id",
        "subscription",
        "event",
        "event_id",
        "case_id",
        "case_number",
        "object_type",
        "object_id",
        "object_number",
        "occurred_at",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "delivered_at",
        "response_status",
        "response_body",
        "error",
        "attempt_log",
        "payload",
        "created_at",
    )
    readonly_fields = fields
    actions = ["resend"]

    @admin.action(description=_("重发所选的失败推送"))
    def resend(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(request, queryset, actions.resend_delivery, "已安排重发")
