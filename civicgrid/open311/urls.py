"""Mounted at /open311/v2/ (civicgrid/urls.py). Resources end in .xml or .json."""

from django.urls import path, re_path

from . import views

app_name = "open311"
FMT = r"\.(?P<fmt>[^./]+)$"
urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[^/]+?)" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.service_requests, name="requests"),
    re_path(r"^requests/(?P<ref>[^/]+?)" + FMT, views.service_request, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, views.token_lookup, name="token"),
    re_path(r"^servicerequestupdates" + FMT, views.service_request_updates, name="updates"),
    path("openapi.json", views.openapi, name="openapi"),
    # Anything else under /open311/v2/ is a 404 in the spec's error shape, not an HTML page.
    re_path(r"^(?P<path>.*)$", views.not_found),
]
