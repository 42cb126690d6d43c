"""A database that goes away answers 503 with Retry-After, and the same running app
recovers by itself once it is back (issue 4, point 4)."""

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.handlers.exception import convert_exception_to_response
from django.db import OperationalError, connection, connections
from django.test import Client, RequestFactory, override_settings

from civicgrid.accounts import tokens
from civicgrid.core.choices import Role
from civicgrid.core.middleware import DB_RETRY_AFTER_SECONDS, DatabaseUnavailableMiddleware

MIDDLEWARE_PATH = "civicgrid.core.middleware.DatabaseUnavailableMiddleware"


@pytest.fixture(autouse=True)
def _with_middleware(settings):
    # Until settings.MIDDLEWARE lists it, put it where it belongs: right after WhiteNoise.
    settings.ORIGINAL_MIDDLEWARE = list(settings.MIDDLEWARE)
    if MIDDLEWARE_PATH not in settings.MIDDLEWARE:
        position = settings.MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
        settings.MIDDLEWARE = [
            *settings.MIDDLEWARE[:position],
            MIDDLEWARE_PATH,
            *settings.MIDDLEWARE[position:],
        ]


@pytest.fixture
def server(live_server, settings):
    """The session's live server, its (single) app built with the current MIDDLEWARE."""
    app = live_server.thread.httpd.get_app()
    while hasattr(app, "application"):  # under the static and media files handlers
        app = app.application
    app.load_middleware()
    yield live_server
    with override_settings(MIDDLEWARE=settings.ORIGINAL_MIDDLEWARE):
        app.load_middleware()


@contextlib.contextmanager
def database_down() -> Iterator[None]:
    """Every query fails as if the server were gone (in all threads); opening and closing
    connections still works, as Django's request bookkeeping does not query."""
    wrapper = type(connections["default"])
    original = wrapper._cursor

    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection to server failed: Connection refused")

    wrapper._cursor = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        wrapper._cursor = original  # type: ignore[method-assign]


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _assert_unavailable(status: int, headers: dict[str, str], body: str) -> None:
    assert status == 503
    assert headers["Retry-After"] == str(DB_RETRY_AFTER_SECONDS)
    assert "数据库" in body


@pytest.mark.django_db(transaction=True)
def test_live_server_answers_503_while_the_database_is_down_then_recovers(server, world, client):
    user = world.user("east", Role.DISPATCHER)
    client.force_login(user)
    page = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    api = {"Authorization": f"Bearer {tokens.issue(user).key}"}
    home, cases = f"{server.url}/", f"{server.url}/api/v1/cases"
    assert _get(home, page)[0] == 200 and _get(cases, api)[0] == 200

    with database_down():
        status, headers, body = _get(home, page)
        _assert_unavailable(status, headers, body)
        assert headers["Content-Type"].startswith("text/html") and "<h1>" in body
        status, headers, body = _get(cases, api)
        _assert_unavailable(status, headers, body)
        error = json.loads(body)["error"]
        assert error["code"] == "database_unavailable" and "数据库" in error["message"]

    # The same server process, never restarted: the next requests reconnect and succeed.
    assert _get(home, page)[0] == 200
    status, _headers, body = _get(cases, api)
    assert status == 200 and "results" in json.loads(body)


@pytest.mark.django_db(transaction=True)
def test_test_client_sees_the_same_503_and_recovery(world):
    client = Client(raise_request_exception=False)  # one client: one handler, one app instance
    client.force_login(world.user("east", Role.ADMIN))
    assert client.get("/").status_code == 200
    with database_down():
        response = client.get("/")
        _assert_unavailable(response.status_code, dict(response.headers), response.content.decode())
        assert response["Cache-Control"] == "no-store"
    assert client.get("/").status_code == 200


def test_an_error_raised_outside_the_view_is_a_503_too():
    # Django turns an exception from an inner middleware (a session save, say) into a 500
    # response before the outer middleware sees it; the 500 is replaced by the 503.
    def inner(request: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    middleware = DatabaseUnavailableMiddleware(convert_exception_to_response(inner))
    response = middleware(RequestFactory().get("/api/v1/cases"))
    assert response.status_code == 503 and response["Retry-After"] == str(DB_RETRY_AFTER_SECONDS)
    assert json.loads(response.content)["error"]["code"] == "database_unavailable"

    def broken(request: Any) -> Any:
        raise ValueError("a bug, not an outage")

    other = DatabaseUnavailableMiddleware(convert_exception_to_response(broken))
    assert other(RequestFactory().get("/")).status_code == 500


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_dropping_our_connection_is_a_503_then_recovery(world, monkeypatch):
    """The server really drops the app's connection (pg_terminate_backend), as in a restart."""
    if connection.vendor != "postgresql":
        pytest.skip("needs the suite to run on PostgreSQL")
    import psycopg

    # Keep the connection across requests, as a production worker with CONN_MAX_AGE does.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", None)
    client = Client(raise_request_exception=False)
    client.force_login(world.user("east", Role.ADMIN))
    assert client.get("/").status_code == 200
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        assert admin.execute("select pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    response = client.get("/")
    assert response.status_code in (200, 503)
    if response.status_code == 503:
        assert response["Retry-After"] == str(DB_RETRY_AFTER_SECONDS)
    # Recovery without restarting anything.
    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200
