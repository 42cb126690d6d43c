from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import JsonResponse
from django.templatetags.static import static as static_url
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from civicgrid.accounts import views as account_views
from civicgrid.api.urls import api
from civicgrid.api.urls import unknown_path as api_unknown_path
from civicgrid.core.health import healthz

urlpatterns = [
    # The per-role landing page knows roles, areas and units, so accounts serves it.
    path("", account_views.home, name="home"),
    # Django's language switch, remembered on the account for its messages (accounts).
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("accounts/", include("civicgrid.accounts.urls")),
    path("geo/", include("civicgrid.geo.urls")),
    path("orgs/", include("civicgrid.orgs.urls")),
    path("cases/", include("civicgrid.cases.urls")),
    path("residents/", include("civicgrid.residents.urls")),
    path("inspections/", include("civicgrid.inspections.urls")),
    path("elections/", include("civicgrid.elections.urls")),
    path("programmes/", include("civicgrid.programmes.urls")),
    path("community/", include("civicgrid.community.urls")),
    path("sensors/", include("civicgrid.sensors.urls")),
    path("", include("civicgrid.insights.urls")),  # dashboard/, insights/…
    path("report/", include("civicgrid.cases.public_urls")),
    path("webhooks/", include("civicgrid.webhooks.urls")),
    path("profiles/", include("civicgrid.profiles.urls")),
    path("api/v1/", api.urls),
    # JSON 404 for what no API route matches (a newline too: `.` alone stops at one).
    re_path(r"^api/v1/(?P<rest>(?s:.*))\Z", api_unknown_path),
    path("open311/v2/", include("civicgrid.open311.urls")),
    path("", include("civicgrid.core.urls")),  # audit/, inbox/, attachments/
    path("jobs/", include("civicgrid.core.job_urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links: send them to the icon, not a 404.
    path("favicon.ico", RedirectView.as_view(url=static_url("favicon.svg"), permanent=True)),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
if settings.CIVICGRID_BENCHMARK_ENDPOINTS:  # the API benchmark's baseline; never set in production
    urlpatterns.append(path("bench/trivial", lambda request: JsonResponse({"ok": True})))
