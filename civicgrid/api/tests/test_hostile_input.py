"""Hostile input found in issue 11 ("no 500 from any input"): each is a 4xx naming the field,
on the web pages, the REST API and the 12345 import alike, and nothing is written."""

import json
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civicgrid.accounts import tokens
from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import duty, make_case
from civicgrid.core.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(world):
    key = tokens.issue(world.user("east", Role.DISPATCHER), scopes=["write"]).key
    return {"Authorization": f"Bearer {key}"}


def api_error(response, status, code="invalid", field=None):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"], error
    if field is not None:
        assert field in error["fields"], error
    return error


# ---------------------------------------------------------------------------- images


def bomb_png(width: int = 20000, height: int = 10000) -> bytes:
    """A tiny PNG whose header claims `width`×`height` pixels (no image data to speak of)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def bomb_upload(width: int = 20000, height: int = 10000) -> SimpleUploadedFile:
    return SimpleUploadedFile("bomb.png", bomb_png(width, height), content_type="image/png")


def test_a_decompression_bomb_is_refused_on_the_public_report(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    point = world.east.grids[0].shape.centroid
    data = {
        "category": "E2105",
        "request_type": "complaint",
        "description": "隔壁装修噪声很大",
        "lon": point.x,
        "lat": point.y,
        "reporter_phone": "13900004321",
        "photo": bomb_upload(),
    }
    response = client.post(reverse("report:form"), data)
    assert response.status_code in (200, 400), response.status_code
    assert "图片尺寸过大" in response.content.decode()
    assert not Case.objects.exists()


def test_a_decompression_bomb_is_refused_on_the_mobile_report(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.user("east", Role.GRID_WORKER))
    point = world.east.grids[0].shape.centroid
    data = {
        "category": "E2103",
        "description": "楼道里电动车违规充电",
        "urgency": "normal",
        "lon": point.x,
        "lat": point.y,
        "photos": bomb_upload(),
    }
    response = client.post(reverse("cases:mobile_report"), data)
    assert response.status_code in (200, 400), response.status_code
    assert "图片尺寸过大" in response.content.decode()
    assert not Case.objects.exists()


# Over Pillow's own limit (an exception at open), and over ours only (48 Mpx).
@pytest.mark.parametrize("size", [(20000, 10000), (8000, 6000)])
def test_a_decompression_bomb_is_refused_by_the_api(client, world, auth, settings, tmp_path, size):
    settings.MEDIA_ROOT = tmp_path
    duty(world)
    case = make_case(world)
    upload = bomb_upload(*size)
    assert upload.size < 100
    response = client.post(f"/api/v1/cases/{case.pk}/photos", {"photos": [upload]}, headers=auth)
    error = api_error(response, 400, field="photos")
    assert "图片尺寸过大" in error["message"]
    assert not case.photos.exists()


# ---------------------------------------------------------------------------- JSON


def test_deeply_nested_json_is_400_without_login(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/cases", body, content_type="application/json")
    error = api_error(response, 400, "invalid_json")
    assert "嵌套" in error["message"]


# ---------------------------------------------------------------------------- ids


@pytest.mark.parametrize("ref", ["%C2%B9", "%EF%BC%91", "%D9%A1"])  # ¹, full-width １, Arabic-Indic ١
def test_only_ascii_digits_are_case_ids(client, world, auth, ref):
    duty(world)
    make_case(world)
    api_error(client.get(f"/api/v1/cases/{ref}", headers=auth), 404, "not_found")
    api_error(client.get(f"/api/v1/cases/{ref}/photos", headers=auth), 404, "not_found")


# ---------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59", "0001-01-01T00:00:00", "1999-12-31T12:00:00+08:00"]
)
def test_received_at_out_of_range_is_400(client, world, auth, moment):
    duty(world)
    body = {
        "request_type": "complaint",
        "category": "E2105",
        "channel": "hotline",
        "description": "噪声",
        "address": world.east.buildings[0].address,
        "received_at": moment,
    }
    response = client.post("/api/v1/cases", json.dumps(body), content_type="application/json", headers=auth)
    api_error(response, 400, field="received_at")
    assert not Case.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/metrics", "/api/v1/insights/metrics"])
def test_metrics_over_the_extremes_are_400(client, world, auth, path):
    response = client.get(path, {"from": "0001-01-01", "to": "9999-12-31"}, headers=auth)
    error = api_error(response, 400)
    assert set(error["fields"]) & {"from", "to"}, error


@pytest.mark.parametrize("name", ["received_from", "received_to"])
def test_the_case_list_refuses_dates_out_of_range(client, world, auth, name):
    for value in ("0001-01-01", "9999-12-31"):
        api_error(client.get("/api/v1/cases", {name: value}, headers=auth), 400, field=name)


def test_the_workbench_refuses_dates_out_of_range(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.get(reverse("cases:workbench"), {"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert response.status_code == 200
    assert "超出可接受的范围" in response.content.decode()


# ---------------------------------------------------------------------------- paths


def test_a_newline_in_an_api_path_gets_the_json_404(client, auth):
    response = client.get("/api/v1/cases/1%0A/x", headers=auth)
    api_error(response, 404, "not_found")
    response = client.get("/api/v1/%0A", headers=auth)
    api_error(response, 404, "not_found")


def test_a_newline_in_a_page_path_gets_the_sites_404(client, settings):
    response = client.get("/no-such-page%0A")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


# ---------------------------------------------------------------------------- NUL


def test_a_nul_in_api_json_is_400_naming_the_field(client, world, auth):
    duty(world)
    body = {
        "request_type": "complaint",
        "category": "E2105",
        "channel": "hotline",
        "description": "噪声\x00",
        "address": world.east.buildings[0].address,
        "external_id": "A\x001",
    }
    response = client.post("/api/v1/cases", json.dumps(body), content_type="application/json", headers=auth)
    error = api_error(response, 400, field="description")
    assert "external_id" in error["fields"]
    assert not Case.objects.exists()


def test_a_nul_in_an_api_query_is_400_naming_the_parameter(client, world, auth):
    api_error(client.get("/api/v1/cases", {"q": "a\x00b"}, headers=auth), 400, field="q")


def test_a_nul_in_a_web_form_is_a_form_error(client, world):
    point = world.east.grids[0].shape.centroid
    data = {
        "category": "E2105",
        "request_type": "complaint",
        "description": "噪声\x00很大",
        "lon": point.x,
        "lat": point.y,
        "reporter_phone": "13900004321",
    }
    response = client.post(reverse("report:form"), data)
    assert response.status_code == 200
    assert "description" in response.context["form"].errors
    assert not Case.objects.exists()


def test_open311_pages_are_ascii_digits(client, world):
    for page in ("%C2%B9", "%EF%BC%92"):
        url = f"/open311/v2/requests.json?jurisdiction_id={world.east.street.code}&page={page}"
        response = client.get(url)
        assert response.status_code == 400, response.content
        assert "page" in response.json()[0]["description"]


def test_a_nul_in_an_api_form_field_is_400_naming_it(client, world, auth, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    duty(world)
    case = make_case(world)
    photo = SimpleUploadedFile("a.png", bomb_png(8, 8), content_type="image/png")
    response = client.post(
        f"/api/v1/cases/{case.pk}/photos", {"photos": [photo], "note": "现场\x00"}, headers=auth
    )
    api_error(response, 400, field="note")
    assert not case.photos.exists()
