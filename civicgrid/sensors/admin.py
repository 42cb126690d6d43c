"""Sensors in the admin, scoped like the pages. Device types are the district's configuration
(superusers add a type or tune its limits here: "more types by configuration"); devices,
readings and alerts are written by the actions, the ingest and the rules, so they are read-only."""

from django.contrib import admin

from civicgrid.core.admin import ReadOnlyAdminMixin, RestrictedModelAdmin

from .models import Alert, Device, DeviceType


@admin.register(DeviceType)
class DeviceTypeAdmin(RestrictedModelAdmin):
    list_display = ("code", "name", "metric", "unit", "alarm_above", "offline_minutes", "active")
    search_fields = ("code", "name")


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    list_display = ("vendor_id", "type", "street", "area", "last_seen_at", "last_value", "active")
    list_filter = ("type", "active")
    search_fields = ("vendor_id", "place")


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    list_display = ("device", "condition", "status", "opened_at", "repeats", "case")
    list_filter = ("condition", "status")
