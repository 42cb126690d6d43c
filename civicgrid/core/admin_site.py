"""The Django admin site, open to staff accounts whose role holds `core.admin_site`.

A module of its own: settings install `AdminConfig` (django.contrib.admin on this site)
from here, and core/admin.py registers on the site, so it cannot define it."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .capabilities import may


class CivicAdminSite(admin.AdminSite):
    site_header = _("civicgrid 管理后台")
    site_title = _("civicgrid 管理后台")
    index_title = _("登记数据管理")

    def has_permission(self, request: HttpRequest) -> bool:
        # is_staff stays the per-account switch; the role must also have work there, so a
        # grid worker's account flagged staff by mistake still gets the login page.
        return super().has_permission(request) and may(request.user, "core.admin_site")


class AdminConfig(DjangoAdminConfig):
    default = False
    default_site = "civicgrid.core.admin_site.CivicAdminSite"
