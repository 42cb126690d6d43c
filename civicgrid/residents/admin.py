"""The registry in the admin, scoped like the pages (RestrictedAdminMixin: restrict() for the
rows, the choices and the filters). Flats, households, persons, care tags, visits and
examinations are written only by residents.actions (versions, ID checks, events), so the admin
shows them read-only, their personal fields masked by construction. The sensitive care tags
are left out for everyone (restrict() already does for most roles; the admin logs no look).
A street's own care kinds (LocalCareKind) are configuration, and are edited here."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from civicgrid.core.admin import ReadOnlyAdminMixin, RestrictedModelAdmin
from civicgrid.core.choices import Action
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from . import care
from .models import CareTag, Exam, ExamRound, Flat, Household, LocalCareKind, Person, Visit


class RegistryAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    pass


@admin.register(Flat)
class FlatAdmin(RegistryAdmin):
    list_display = ("building", "room", "floor", "use", "owner_name", "owner_phone")
    list_filter = ("use",)
    search_fields = ("room", "owner_name", "building__address")  # and the phone by its hash
    list_select_related = ("building",)


@admin.register(Household)
class HouseholdAdmin(RegistryAdmin):
    list_display = ("__str__", "tenure", "head", "moved_in", "moved_out")
    list_filter = ("tenure",)
    search_fields = ("flat__room", "flat__building__address", "head__name")
    list_select_related = ("flat", "flat__building", "head")


@admin.register(Person)
class PersonAdmin(RegistryAdmin):
    list_display = ("name", "sex", "birth_date", "id_number", "phone", "relation", "residence", "household")
    list_filter = ("residence", "relation", "sex")
    search_fields = ("name",)  # and the number, phone or notes typed in full, by their hashes
    list_select_related = ("household", "household__flat", "household__flat__building")
    exclude = ("id_number_hash", "phone_hash", "notes_hash")


@admin.register(CareTag)
class CareTagAdmin(RegistryAdmin):
    list_display = ("person", "label", "starts_on", "ends_on")
    list_filter = ("kind",)
    search_fields = ("person__name",)
    list_select_related = ("person", "local_kind")
    exclude = ("note_hash",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CareTag]:
        # A sensitive tag is seen only on the registry's pages, where each look is logged; the
        # admin leaves them out even for those whose scope would show them (superusers).
        return super().get_queryset(request).exclude(kind__in=list(care.SENSITIVE))


@admin.register(LocalCareKind)
class LocalCareKindAdmin(RestrictedModelAdmin):
    list_display = ("name", "code", "street", "visit_interval_days", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "name_en")
    list_select_related = ("street",)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "street":
            # A kind belongs to a street the admin keeps (not to one of its areas).
            kwargs["queryset"] = Area.objects.restrict(request.user, Action.CHANGE).filter(
                kind=AreaKind.STREET
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Visit)
class VisitAdmin(RegistryAdmin):
    list_display = ("household", "status", "planned_for", "visited_at", "visitor", "method")
    list_filter = ("status", "method")
    list_select_related = ("household", "household__flat", "household__flat__building", "visitor")


@admin.register(ExamRound)
class ExamRoundAdmin(RegistryAdmin):
    list_display = ("name", "kind", "held_on", "sample_size", "street")
    list_filter = ("kind",)
    list_select_related = ("street",)


@admin.register(Exam)
class ExamAdmin(RegistryAdmin):
    list_display = ("round", "cadre", "area", "status", "matched", "total", "grade")
    list_filter = ("status", "grade")
    list_select_related = ("round", "cadre", "area")
