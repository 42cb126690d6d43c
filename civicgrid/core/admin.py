"""The Django admin, scoped like the rest of the site.

Every registry ModelAdmin mixes in RestrictedAdminMixin: its lists come from
`restrict(user, "view")`, its permissions from the model's queryset permissions (not from
Django's per-model permission table), its ForeignKey/M2M choices and the choices of its
relational list filters (RestrictedRelatedFilter) from `restrict()`, so a street
administrator sees, edits, links and filters by only their own street's objects. An object
outside the scope is missing from get_queryset and answered with a 404, as everywhere
else on the site (the admin's own habit is a redirect to its index).
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import personal, workdays
from .capabilities import may
from .choices import Action
from .models import AuditedModel, AuditLog, Holiday, MessageDelivery, PersonalDataAccess


def _restricted(model: type[models.Model], user: Any, action: str) -> models.QuerySet:
    return model._default_manager.all().restrict(user, action)  # type: ignore[attr-defined]


def _allows(model: type[models.Model], user: Any, action: str) -> bool:
    return bool(model._default_manager.all().allows(user, action))  # type: ignore[attr-defined]


def _is_staff(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff)


def _is_restricted(model: type[models.Model]) -> bool:
    return hasattr(model._default_manager.all(), "restrict")


class RestrictedRelatedFilter(admin.RelatedFieldListFilter):
    """A relational list filter offering only the related rows the user may view: Django's
    own lists every row of the related table (every street's areas to every admin)."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        visible = Q(pk__in=_restricted(field.related_model, request.user, Action.VIEW).values("pk"))
        limit = field.get_limit_choices_to()
        if limit:
            visible &= Q(**limit) if isinstance(limit, dict) else limit
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=visible, ordering=ordering)


class RestrictedAdminMixin:
    """For ModelAdmin and InlineModelAdmin subclasses of models with `objects.restrict`."""

    model: type[models.Model]
    # Choice fields whose targets only need to be readable (e.g. a unit's district);
    # every other ForeignKey/M2M offers only what the user may change.
    view_only_choice_fields: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        qs = super().get_queryset(request)  # type: ignore[misc]
        return qs.restrict(request.user, Action.VIEW)

    def get_search_results(self, request: HttpRequest, queryset: models.QuerySet, search_term: str) -> Any:
        """The search fields, plus an exact match of any personal field through its hash
        (an encrypted column cannot be searched; personal.matching())."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        term = search_term.strip()
        names = [e.field.name for e in personal.fields() if e.model is self.model._meta.concrete_model]
        if term and names:
            by_hash = Q()
            for name in names:
                by_hash |= personal.matching(self.model, name, term)
            found = found | queryset.filter(by_hash)
        return found, may_have_duplicates

    def get_list_filter(self, request: HttpRequest) -> Any:
        # Every relational filter to a scoped model offers only what restrict() gives.
        return [
            (entry, RestrictedRelatedFilter)
            if isinstance(entry, str) and _related_is_restricted(self.model, entry)
            else entry
            for entry in super().get_list_filter(request)  # type: ignore[misc]
        ]

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404(_("没有这个对象，或不在你的管辖范围内。"))
        return obj

    def _may(self, request: HttpRequest, action: str, obj: models.Model | None) -> bool:
        if not _is_staff(request) or not _allows(self.model, request.user, action):
            return False
        if obj is None or obj.pk is None:
            return True
        return _restricted(self.model, request.user, action).filter(pk=obj.pk).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_staff(request) and _allows(self.model, request.user, Action.VIEW)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may(request, Action.VIEW, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._may(request, Action.ADD, None)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may(request, Action.CHANGE, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may(request, Action.DELETE, obj)

    def _choice_queryset(self, db_field: Any, request: HttpRequest) -> models.QuerySet | None:
        related = db_field.remote_field.model
        if not _is_restricted(related):
            return None
        action = Action.VIEW if db_field.name in self.view_only_choice_fields else Action.CHANGE
        return _restricted(related, request.user, action)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "queryset" not in kwargs:
            qs = self._choice_queryset(db_field, request)
            if qs is not None:
                kwargs["queryset"] = qs
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "queryset" not in kwargs:
            qs = self._choice_queryset(db_field, request)
            if qs is not None:
                kwargs["queryset"] = qs
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


def _related_is_restricted(model: type[models.Model], path: str) -> bool:
    field = get_fields_from_path(model, path)[-1]
    return bool(field.is_relation and field.related_model and _is_restricted(field.related_model))


class RestrictedInlineMixin(RestrictedAdminMixin):
    """For inlines, Django passes the *parent* object to has_*_permission: the inline rows
    may be changed when the parent may be; the rows themselves come from get_queryset."""

    def _may(self, request: HttpRequest, action: str, obj: models.Model | None) -> bool:
        if not _is_staff(request) or not _allows(self.model, request.user, action):
            return False
        if action == Action.VIEW or obj is None or obj.pk is None:
            return True
        return _restricted(type(obj), request.user, Action.CHANGE).filter(pk=obj.pk).exists()

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._may(request, Action.ADD, args[0] if args else None)


class RestrictedModelAdmin(RestrictedAdminMixin, admin.ModelAdmin):
    """A ModelAdmin that also refuses to save anything that ends up outside the user's scope.

    Where an object lands is sometimes derived on save (a building's street comes from its
    point, an area's from its parent), so the check runs after saving, inside the admin's
    transaction: raising rolls the whole change back.
    """

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not _restricted(self.model, request.user, Action.CHANGE).filter(pk=form.instance.pk).exists():
            raise PermissionDenied(_("保存后的对象不在你的管辖范围内。"))
        for formset in formsets:
            inline_model = formset.model
            if not _is_restricted(inline_model):
                continue
            saved = [o.pk for o in formset.new_objects] + [o.pk for o, _f in formset.changed_objects]
            allowed = _restricted(inline_model, request.user, Action.CHANGE).filter(pk__in=saved).count()
            if allowed != len(saved):
                raise PermissionDenied(_("保存后的对象不在你的管辖范围内。"))

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        # Bulk deletes go through the same scope as single ones.
        deletable = _restricted(self.model, request.user, Action.DELETE)
        if queryset.exclude(pk__in=deletable.values("pk")).exists():
            raise PermissionDenied(_("所选对象中有你无权删除的。"))
        super().delete_queryset(request, queryset)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        # Our audit log is the history; Django's LogEntry misses non-admin changes.
        from django.contrib.admin.utils import unquote

        obj = self.get_object(request, unquote(object_id))
        if obj is None or not issubclass(self.model, AuditedModel):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.admin_site.name))
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse("core:object_history", args=[opts.app_label, opts.model_name, obj.pk])
        )


class ReadOnlyAdminMixin:
    """Rows written only by actions or the system: the admin shows them, never adds or changes
    them; `deletable` keeps the (restricted) delete of a model whose rows may be removed."""

    deletable = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.deletable and super().has_delete_permission(request, obj)  # type: ignore[misc]


class ReadOnlyInline(admin.TabularInline):
    """Rows of one parent (a checklist's items, an election's milestones), shown on the
    parent's admin page, never added or changed there."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Shown only on its parent's page, which restrict() has already let the reader open.
        return True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Shown, never edited: also the fields a form could not hold (auto_now_add times).
        return self.fields or super().get_readonly_fields(request, obj)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, RestrictedAdminMixin, admin.ModelAdmin):
    """Read-only: a street's admins and leaders browse their street's trail (restrict());
    an object's own history is also on its page (core:object_history)."""

    list_display = (
        "timestamp",
        "actor_label",
        "via",
        "api_token_label",
        "event",
        "content_type",
        "object_repr",
    )
    list_filter = ("event", "via", "content_type")
    search_fields = ("object_repr", "actor_label", "object_id", "api_token_label")
    date_hierarchy = "timestamp"
    list_select_related = ("content_type",)


WEEKDAY_NAMES = (_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日"))


def _may_edit_calendar(request: HttpRequest) -> bool:
    # The holiday schedule is city-wide: not scoped, and only administrators change it.
    user = request.user
    return may(user, "core.edit_calendar") and (user.is_superuser or user.is_staff)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """The holiday table for years chinesecalendar lacks; the list page says which source
    covers this year and next, and warns when a year falls back to Monday–Friday."""

    list_display = ("date", "weekday", "name", "is_workday", "note")
    list_filter = ("is_workday", "name")
    search_fields = ("name", "note")
    date_hierarchy = "date"
    fields = ("date", "is_workday", "name", "note")

    @admin.display(description=_("星期"), ordering="date")
    def weekday(self, obj: Holiday) -> str:
        return str(WEEKDAY_NAMES[obj.date.weekday()])

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_staff(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_edit_calendar(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit_calendar(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit_calendar(request)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        this_year = workdays.local_today().year
        coverage = []
        for year in (this_year, this_year + 1):
            source = workdays.year_coverage(year)
            coverage.append(
                {
                    "year": year,
                    "source": workdays.Coverage(source).label,
                    "rows": len(workdays.table_year(year)),
                    "package": workdays.package_covers(year),
                    "warning": workdays.coverage_warning(year),
                }
            )
        context = {"calendar_coverage": coverage, **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdminMixin, RestrictedAdminMixin, admin.ModelAdmin):
    """Read-only: who was shown which resident's personal data, scoped like the audit log
    (a street's admins and leaders read their street's rows)."""

    list_display = ("at", "user_label", "field_label", "object_repr", "via", "reason")
    list_filter = ("field", "via", "content_type")
    search_fields = ("object_repr", "user_label", "object_id", "reason")
    date_hierarchy = "at"
    list_select_related = ("content_type",)

    @admin.display(description=_("字段"), ordering="field")
    def field_label(self, obj: PersonalDataAccess) -> str:
        return obj.field_label()


@admin.register(MessageDelivery)
class MessageDeliveryAdmin(ReadOnlyAdminMixin, RestrictedAdminMixin, admin.ModelAdmin):
    """Read-only: the e-mails and text messages sent (core.messaging), the address masked,
    scoped like the audit log."""

    list_display = ("created_at", "channel", "kind", "to_masked", "status", "attempts", "sent_at", "error")
    list_filter = ("channel", "status", "kind")
    search_fields = ("to_masked", "subject", "object_id")
    date_hierarchy = "created_at"
    exclude = ("to", "to_hash")
