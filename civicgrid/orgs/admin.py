from django.contrib import admin

from civicgrid.core.admin import RestrictedModelAdmin

from .models import Unit


@admin.register(Unit)
class UnitAdmin(RestrictedModelAdmin):
    list_display = ("name", "code", "kind", "street", "district", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "contact_person")  # and the phone by its hash (RestrictedAdminMixin)
    list_select_related = ("street", "district")
    filter_horizontal = ("jurisdiction",)
    # A street's unit still names its district, which the street staff only read.
    view_only_choice_fields = ("district",)
