"""The webhooks router mounted as the API root will mount it (the lead adds it to
civicgrid/api/urls.py): /api/v1/ with TokenAuth("webhooks") and the API's error handlers."""

from django.urls import path
from ninja import NinjaAPI

from civicgrid.api.auth import TokenAuth
from civicgrid.api.errors import install
from civicgrid.webhooks.api import router

api = NinjaAPI(urls_namespace="webhooks-test-api", docs_url=None)
install(api)
api.add_router("/", router, auth=TokenAuth("webhooks"))

urlpatterns = [path("api/v1/", api.urls)]
