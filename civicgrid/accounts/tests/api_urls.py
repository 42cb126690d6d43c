"""A tiny API mounted like the real one (one router per app, each with TokenAuth(app)), so
the token tests do not depend on what the app routers currently expose."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI, Router

from civicgrid.accounts.choices import API_APPS
from civicgrid.api.auth import TokenAuth
from civicgrid.api.errors import install
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.models import Holiday
from civicgrid.geo.models import Area

api = NinjaAPI(urls_namespace="tokens-test-api", docs_url=None, openapi_url=None)
install(api)


def _router(app: str) -> Router:
    router = Router()

    @router.api_operation(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"], "/thing")
    def thing(request: HttpRequest) -> dict[str, Any]:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            streets = Area.objects.restrict(request.user, Action.VIEW).streets()
            return {
                "user": request.user.username,
                "auth": request.auth.username,  # type: ignore[attr-defined]
                "token": request.api_token.pk,  # type: ignore[attr-defined]
                "streets": sorted(streets.values_list("code", flat=True)),
            }
        # An audited write made the way API handlers make them.
        with acting_as(request.user, "api"):
            day = Holiday.objects.create(date=dt.date(2031, 1, 1), name="元旦")
        return {"holiday": day.pk}

    return router


for _app in API_APPS:
    api.add_router(f"/{_app}", _router(_app), auth=TokenAuth(_app))

urlpatterns = [path("t/", api.urls)]
