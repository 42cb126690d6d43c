"""Community in the admin, scoped like the pages (RestrictedAdminMixin: restrict() for the
rows, the choices and the filters). Every row is written by community.actions or the machines'
frames, so the admin shows them read-only; rows of one parent show inline under it.

Left out on purpose: the encrypted phones and home addresses (revealed only through
community.reveal_contact on the pages, each reveal logged), and the appointment slots' counters
(the booking's conditional UPDATE is their only writer)."""

from django.contrib import admin

from civicgrid.core.admin import ReadOnlyAdminMixin, ReadOnlyInline, RestrictedModelAdmin

from .models import (
    Activity,
    Appointment,
    Article,
    HomeService,
    HoursEntry,
    Newsletter,
    OpeningHours,
    Room,
    ServiceItem,
    StaffLeave,
    Team,
    Venue,
    Volunteer,
)


class CommunityAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    pass


class RoomInline(ReadOnlyInline):
    model = Room
    fields = ("name", "capacity", "active")


class HoursInline(ReadOnlyInline):
    model = OpeningHours
    fields = ("weekday", "opens", "closes")


@admin.register(Venue)
class VenueAdmin(CommunityAdmin):
    list_display = ("name", "kind", "street", "area", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    list_select_related = ("street", "area")
    inlines = (RoomInline, HoursInline)


@admin.register(Activity)
class ActivityAdmin(CommunityAdmin):
    list_display = ("title", "street", "venue", "starts_at", "capacity", "status", "attendance")
    list_filter = ("status", "category", "audience")
    search_fields = ("title",)
    list_select_related = ("street", "venue")


@admin.register(Team)
class TeamAdmin(CommunityAdmin):
    list_display = ("name", "kind", "street", "partner", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    list_select_related = ("street",)
    exclude = ("contact_phone", "contact_phone_hash")


@admin.register(Volunteer)
class VolunteerAdmin(CommunityAdmin):
    list_display = ("code", "name", "street", "team", "status", "joined_on")
    list_filter = ("status",)
    search_fields = ("code", "name")
    list_select_related = ("street", "team")
    exclude = ("phone", "phone_hash")


@admin.register(HoursEntry)
class HoursEntryAdmin(CommunityAdmin):
    list_display = ("volunteer", "served_on", "hours", "description", "confirmed_by", "confirmed_at")
    list_select_related = ("volunteer", "confirmed_by")
    search_fields = ("volunteer__name", "description")


@admin.register(ServiceItem)
class ServiceItemAdmin(CommunityAdmin):
    list_display = ("code", "name", "category", "street", "window", "a_staff", "b_staff", "active")
    list_filter = ("category", "active")
    search_fields = ("code", "name")
    list_select_related = ("street", "window", "a_staff", "b_staff")


@admin.register(StaffLeave)
class StaffLeaveAdmin(CommunityAdmin):
    list_display = ("user", "kind", "starts_at", "ends_at", "cancelled_at")
    list_filter = ("kind",)
    list_select_related = ("user",)


@admin.register(Appointment)
class AppointmentAdmin(CommunityAdmin):
    list_display = ("item", "ticket", "name", "status", "responsible", "handled_by", "arrived_at")
    list_filter = ("status", "responsible", "channel")
    list_select_related = ("item", "handled_by")
    exclude = ("phone", "phone_hash")


@admin.register(HomeService)
class HomeServiceAdmin(CommunityAdmin):
    list_display = ("number", "item", "name", "status", "assignee", "visit_at", "due_on")
    list_filter = ("status", "reason")
    search_fields = ("number",)
    list_select_related = ("item", "assignee")
    exclude = ("phone", "phone_hash", "address", "address_hash")


class ArticleInline(ReadOnlyInline):
    model = Article
    fields = ("order", "source", "title", "included")


@admin.register(Newsletter)
class NewsletterAdmin(CommunityAdmin):
    list_display = ("masthead", "year", "number", "street", "status", "published_on")
    list_filter = ("status", "year")
    list_select_related = ("street",)
    inlines = (ArticleInline,)
