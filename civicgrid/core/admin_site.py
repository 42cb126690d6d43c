"""The Django admin site, open to staff accounts whose role holds `core.admin_site`.

A module of its own: settings install `AdminConfig` (django.contrib.admin on this site)
from here, and core/admin.py registers on the site, so it cannot define it."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from .capabilities import may
from .choices import Action


class CivicAdminSite(admin.AdminSite):
    site_header = _("civicgrid 管理后台")
    site_title = _("civicgrid 管理后台")
    index_title = _("登记数据管理")

    def has_permission(self, request: HttpRequest) -> bool:
        # is_staff stays the per-account switch; the role must also have work there, so a
        # grid worker's account flagged staff by mistake still gets the login page.
        return super().has_permission(request) and may(request.user, "core.admin_site")

    def get_urls(self) -> list[URLResolver | URLPattern]:
        scoped = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [scoped if getattr(p, "name", None) == "view_on_site" else p for p in super().get_urls()]

    def view_on_site(self, request: HttpRequest, content_type_id: str, object_id: str) -> HttpResponse:
        """Django's "view on site" redirect, for objects the user may view: its target names the
        object (a case's number), so anything else is a 404 like everywhere else."""
        # Imported here: settings load this module before the models are ready.
        from django.contrib.contenttypes.models import ContentType
        from django.contrib.contenttypes.views import shortcut

        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
            rows = model._default_manager.all() if model is not None else None
            if rows is None or (
                hasattr(rows, "restrict")
                and not rows.restrict(request.user, Action.VIEW).filter(pk=object_id).exists()
            ):
                raise Http404
        except (ContentType.DoesNotExist, ValueError, ValidationError):
            raise Http404 from None
        return shortcut(request, content_type_id, object_id)


class AdminConfig(DjangoAdminConfig):
    default = False
    default_site = "civicgrid.core.admin_site.CivicAdminSite"
