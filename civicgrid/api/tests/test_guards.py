"""Bad request bodies get a 4xx with the API's error body before any handler runs, and
nothing is written."""

import json

import pytest

from civicgrid.accounts import tokens
from civicgrid.cases.models import Case
from civicgrid.core.choices import Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases"


@pytest.fixture
def auth(world):
    key = tokens.issue(world.user("east", Role.DISPATCHER), scopes=["write"]).key
    return {"Authorization": f"Bearer {key}"}


def error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body


def test_a_body_over_the_limit_is_413(client, auth, settings):
    settings.CIVICGRID_API_MAX_BODY_BYTES = 1000
    big = json.dumps({"description": "x" * 2000})
    error(client.post(URL, big, content_type="application/json", headers=auth), 413, "body_too_large")
    assert not Case.objects.exists()


def test_a_body_over_djangos_own_limit_is_413_too(client, auth, settings):
    settings.CIVICGRID_API_MAX_BODY_BYTES = 4000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = json.dumps({"description": "x" * 2000})
    error(client.post(URL, big, content_type="application/json", headers=auth), 413, "body_too_large")


def test_a_wrong_content_type_is_415(client, auth):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        response = client.post(URL, "description=x", content_type=content_type, headers=auth)
        body = error(response, 415, "unsupported_media_type")
        assert content_type in body["error"]["message"]
    assert not Case.objects.exists()


def test_invalid_utf8_is_400(client, auth):
    response = client.post(URL, b'{"description": "\xff\xfe"}', content_type="application/json", headers=auth)
    body = error(response, 400, "invalid_encoding")
    assert "UTF-8" in body["error"]["message"]


def test_malformed_json_is_400_naming_the_place(client, auth):
    response = client.post(URL, '{"description": ', content_type="application/json", headers=auth)
    body = error(response, 400, "invalid_json")
    assert "第 1 行" in body["error"]["message"]


def test_json_with_a_charset_and_empty_bodies_pass(client, auth):
    # A charset parameter is still JSON; an empty body is no body (validation answers).
    response = client.post(URL, "{}", content_type="application/json; charset=utf-8", headers=auth)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    assert "fields" in response.json()["error"]


def test_web_pages_are_not_guarded(client):
    # The guard is for the API only: a login form post is form-encoded.
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code in (200, 302)


def test_paths_no_route_matches_get_the_api_404_body(client, auth):
    # An unknown resource, and an id of the wrong type (the route wants an integer).
    for method, path in (("get", "/api/v1/no-such-thing"), ("post", "/api/v1/webhooks/abc/rotate-secret")):
        response = getattr(client, method)(path, headers=auth)
        body = error(response, 404, "not_found")
        assert path in body["error"]["message"]


def test_answers_carry_chinese_as_utf8_not_escapes(client, auth, world):
    response = client.get("/api/v1/areas", {"kind": "street"}, headers=auth)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert world.east.street.name.encode() in response.content and b"\\u" not in response.content
