import contextlib
import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.translation import gettext as _

from .audit import acting_as, api_token_scope

logger = logging.getLogger(__name__)
API_PREFIX = "/api/"


class AuditActorMiddleware:
    """Makes the logged-in user the actor of every audited write in this request, and scopes
    the API token that TokenAuth records (see audit.set_api_token) to this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        via = "admin" if request.path.startswith("/admin/") else "web"
        with api_token_scope(), acting_as(getattr(request, "user", None), via):
            return self.get_response(request)


class ChosenLanguageMiddleware:
    """Chinese unless the user picked another language with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, which turns the
    UI English on any staff PC with an English browser; our default is Chinese. The REST
    API has no switch, so there a program's Accept-Language chooses (category names, labels).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        api = request.path.startswith(API_PREFIX)
        if chosen not in self.available and api:
            chosen = translation.get_language_from_request(request)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        # override() restores the previous language afterwards, so nothing leaks into the
        # next request on this thread (or into code run after a test request).
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie", "Accept-Language") if api else ("Cookie",))
        return response


# ---------------------------------------------------------------------------- database outages

DB_RETRY_AFTER_SECONDS = 5
_DB_ERRORS = (OperationalError, InterfaceError)
_DB_DOWN_FLAG = "_civicgrid_database_unavailable"


def _note_database_error(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Django turns an exception raised inside an inner middleware (a session save, say) into a
    # 500 response before any outer middleware sees it; this receiver runs while the exception
    # is being handled, so it can mark the request for DatabaseUnavailableMiddleware.
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, _DB_ERRORS):
        setattr(request, _DB_DOWN_FLAG, True)


got_request_exception.connect(_note_database_error, dispatch_uid="civicgrid-database-unavailable")


class DatabaseUnavailableMiddleware:
    """A lost or refused database connection answers 503 with Retry-After, not a 500 page.

    The broken connection is closed so that the next request (in the same process) opens a
    fresh one: the app recovers by itself once the database is back. Pages get a short
    HTML notice, /api/ the API's error shape with code "database_unavailable". Place it
    early (right after WhiteNoise) so errors in the session and auth middleware are covered.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, _DB_DOWN_FLAG, False) and response.status_code == 500:
            return self.unavailable(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, _DB_ERRORS):
            return self.unavailable(request)
        return None

    def unavailable(self, request: HttpRequest) -> HttpResponse:
        logger.warning("database unavailable while serving %s", request.path, exc_info=True)
        _drop_broken_connections()
        message = str(_("系统暂时无法连接数据库，请稍后重试"))
        response: HttpResponse
        if request.path.startswith("/api/"):
            body = {"error": {"code": "database_unavailable", "message": message, "fields": {}}}
            response = JsonResponse(body, status=503, json_dumps_params={"ensure_ascii": False})
        else:
            # No template: rendering one could itself need the database (context processors).
            title = escape(str(_("服务暂时不可用")))
            html = (
                f'<!doctype html><html lang="zh-hans"><meta charset="utf-8"><title>{title}</title>'
                f"<h1>{title}</h1><p>{escape(message)}</p></html>"
            )
            response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(DB_RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response


def _drop_broken_connections() -> None:
    for conn in connections.all(initialized_only=True):
        # Inside an atomic block (a test's transaction) closing would break the caller;
        # outside one, a closed connection is simply reopened by the next query.
        if not conn.in_atomic_block:
            with contextlib.suppress(Exception):
                conn.close()
