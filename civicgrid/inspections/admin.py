"""Safety inspections in the admin, scoped like the pages (RestrictedAdminMixin: restrict() for
the rows, the choices and the filters). Every row here is written by inspections.actions or
the machines' frames: places are located into their grid and version-checked, a checklist
revision must never change once written (inspections keep the one they used), plans, tasks,
inspections, orders and rent entries change only through their transitions. So the admin shows
them all read-only, the responsible person's phone masked by construction. The order number
counter (OrderSequence) is internal and left out; item results, checklist items and a rent
entry's flat checks show inline under their parent."""

from django.contrib import admin

from civicgrid.core.admin import ReadOnlyAdminMixin, ReadOnlyInline, RestrictedModelAdmin

from .models import (
    Checklist,
    ChecklistItem,
    FlatCheck,
    Inspection,
    ItemResult,
    Order,
    Place,
    Plan,
    RentEntry,
    Task,
)


class InspectionsAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    pass


@admin.register(Place)
class PlaceAdmin(InspectionsAdmin):
    list_display = (
        "name",
        "kind",
        "address",
        "grid",
        "risk",
        "responsible_name",
        "responsible_phone",
        "active",
    )
    list_filter = ("kind", "risk", "active")
    search_fields = ("name", "address", "responsible_name")
    list_select_related = ("grid",)
    exclude = ("responsible_phone_hash",)


class ChecklistItemInline(ReadOnlyInline):
    model = ChecklistItem
    fields = ("position", "code", "text", "severity", "rule", "hazard")


@admin.register(Checklist)
class ChecklistAdmin(InspectionsAdmin):
    list_display = ("title", "place_kind", "revision", "current", "street", "created_at")
    list_filter = ("place_kind", "current")
    search_fields = ("title",)
    list_select_related = ("street",)
    inlines = (ChecklistItemInline,)


@admin.register(Plan)
class PlanAdmin(InspectionsAdmin):
    list_display = ("title", "kind", "recurrence", "starts_on", "ends_on", "unannounced", "active")
    list_filter = ("kind", "unannounced", "active")
    search_fields = ("title",)


@admin.register(Task)
class TaskAdmin(InspectionsAdmin):
    list_display = ("place", "plan", "purpose", "due_on", "assignee", "status")
    list_filter = ("status", "purpose")
    search_fields = ("place__name",)
    list_select_related = ("place", "plan", "assignee")


class ItemResultInline(ReadOnlyInline):
    model = ItemResult
    fields = ("item", "outcome", "note")


@admin.register(Inspection)
class InspectionAdmin(InspectionsAdmin):
    list_display = ("place", "inspected_at", "purpose", "inspector", "passed", "failed", "not_applicable")
    list_filter = ("purpose", "unannounced")
    search_fields = ("place__name",)
    list_select_related = ("place", "inspector")
    inlines = (ItemResultInline,)


@admin.register(Order)
class OrderAdmin(InspectionsAdmin):
    list_display = ("number", "place", "severity", "status", "due_at", "is_overdue", "escalation")
    list_filter = ("status", "severity", "is_overdue", "escalation")
    search_fields = ("number", "place__name")
    list_select_related = ("place",)


class FlatCheckInline(ReadOnlyInline):
    model = FlatCheck
    fields = ("flat", "checked_on", "finding", "checked_by", "note")


@admin.register(RentEntry)
class RentEntryAdmin(InspectionsAdmin):
    list_display = ("place", "status", "clean_checks", "last_checked_on", "next_check_on")
    list_filter = ("status",)
    search_fields = ("place__name",)
    list_select_related = ("place",)
    inlines = (FlatCheckInline,)
