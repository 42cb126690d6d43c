"""Admin of the work-order configuration (category tree, duty table) and a read-only view of
cases and their timelines. Cases change only through cases.actions (the case page and the
API), so the admin never offers add, change or delete for them."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from civicgrid.core.admin import (
    ReadOnlyAdminMixin,
    RestrictedAdminMixin,
    RestrictedInlineMixin,
    RestrictedModelAdmin,
)

from .models import Case, CaseEvent, Category, DutyRule, Patrol


class ChildCategoryInline(RestrictedInlineMixin, admin.TabularInline):
    model = Category
    fk_name = "parent"
    fields = ("code", "name", "name_en", "default_request_type", "is_emergency", "is_active")
    extra = 0
    show_change_link = True
    verbose_name = _("下级分类")
    verbose_name_plural = _("下级分类")


@admin.register(Category)
class CategoryAdmin(RestrictedModelAdmin):
    """The shared category tree. Who may change it is the queryset's business
    (CategoryQuerySet: every role reads it; only superusers change it)."""

    list_display = (
        "code",
        "tree_name",
        "kind",
        "default_request_type",
        "is_emergency",
        "response_minutes",
        "handling_working_days",
        "handling_hours",
        "is_active",
    )
    list_filter = ("kind", "is_emergency", "is_active", "default_request_type")
    search_fields = ("code", "name", "name_en")
    list_select_related = ("parent",)
    ordering = ("code",)
    view_only_choice_fields = ("parent",)
    fieldsets = (
        (
            None,
            {"fields": ("code", "name", "name_en", "parent", "kind", "default_request_type", "is_active")},
        ),
        (
            _("时限（留空则继承上级分类，再按系统设置）"),
            {"fields": ("is_emergency", "response_minutes", "handling_working_days", "handling_hours")},
        ),
    )
    inlines = [ChildCategoryInline]

    @admin.display(description=_("名称"), ordering="code")
    def tree_name(self, obj: Category) -> str:
        # Codes grow one level per two digits after the letter: E → E21 → E2105.
        depth = 0 if len(obj.code) <= 1 else (len(obj.code) - 1) // 2
        return format_html('<span style="padding-left:{}em">{}</span>', depth * 1.5, obj.name)


@admin.register(DutyRule)
class DutyRuleAdmin(RestrictedModelAdmin):
    """The duty table of a street: its administrators edit their own street's rules and may
    name any unit they can see (district-level utilities included) as lead or co-handler."""

    list_display = ("area", "category", "lead_unit", "co_unit_names", "is_active")
    list_filter = ("is_active", "area__street")
    search_fields = ("category__code", "category__name", "area__name", "lead_unit__name")
    list_select_related = ("area", "category", "lead_unit")
    filter_horizontal = ("co_units",)
    view_only_choice_fields = ("category", "lead_unit", "co_units")
    fields = ("category", "area", "lead_unit", "co_units", "is_active", "note")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("co_units")

    @admin.display(description=_("协办单位"))
    def co_unit_names(self, obj: DutyRule) -> str:
        return "、".join(u.name for u in obj.co_units.all()) or "—"


class CaseEventInline(ReadOnlyAdminMixin, RestrictedInlineMixin, admin.TabularInline):
    model = CaseEvent
    fields = ("at", "action", "from_status", "to_status", "actor_label", "unit", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("at", "id")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, RestrictedAdminMixin, admin.ModelAdmin):
    """Read-only: staff look cases up here; the case page carries the actions."""

    list_display = (
        "number",
        "title",
        "status",
        "category",
        "street",
        "grid",
        "channel",
        "received_at",
        "handling_due_at",
        "is_overdue",
    )
    list_filter = ("status", "channel", "request_type", "urgency", "is_overdue", "street")
    search_fields = ("number", "title", "description", "address", "external_id")
    date_hierarchy = "received_at"
    list_select_related = ("category", "street", "grid")
    readonly_fields = (
        "number",
        "case_page",
        "status",
        "version",
        "request_type",
        "category",
        "title",
        "description",
        "channel",
        "urgency",
        "address",
        "lon",
        "lat",
        "street",
        "residential_area",
        "grid",
        "lead_unit",
        "master",
        "received_at",
        "response_due_at",
        "handling_due_at",
        "responded_at",
        "handled_at",
        "closed_at",
        "is_overdue",
        "source",
        "external_id",
    )
    fields = readonly_fields
    inlines = [CaseEventInline]

    @admin.display(description=_("工单页面"))
    def case_page(self, obj: Case) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("在工单页面办理"))


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdminMixin, RestrictedAdminMixin, admin.ModelAdmin):
    list_display = ("at", "case", "action", "from_status", "to_status", "actor_label", "unit")
    list_filter = ("action",)
    search_fields = ("case__number", "actor_label", "note")
    date_hierarchy = "at"
    list_select_related = ("case", "unit")
    fields = ("case", "at", "action", "from_status", "to_status", "actor_label", "unit", "note", "data")
    readonly_fields = fields


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyAdminMixin, RestrictedAdminMixin, admin.ModelAdmin):
    """Read-only: patrols are written on the phone (cases.actions.patrol)."""

    list_display = ("started_at", "worker", "grid", "status", "ended_at", "distance_m")
    list_filter = ("status",)
    search_fields = ("worker__username", "worker__full_name", "grid__name")
    date_hierarchy = "started_at"
    list_select_related = ("worker", "grid")
    fields = ("worker", "street", "grid", "status", "started_at", "ended_at", "distance_m", "cases")
    readonly_fields = fields
