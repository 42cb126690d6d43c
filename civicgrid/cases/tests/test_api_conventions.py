"""Conventions every /api/v1/ resource shares: one pagination envelope and its edges, the
OpenAPI document (every path there, every error status an ErrorOut, Chinese summaries, valid),
and the interactive docs served without a CDN."""

import json
import re
from typing import Any

import pytest
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.core.pagination import MAX_PAGE, MAX_PAGE_SIZE
from civicgrid.testing.api import BASE, ApiClient
from civicgrid.testing.factories import build_world

from .factories import duty, make_case

# Every list and detail path of the API, as the OpenAPI document names them.
LIST_PATHS = [
    "/cases",
    "/cases/{ref}/events",
    "/cases/{ref}/photos",
    "/duties",
    "/notifications",
    "/areas",
    "/buildings",
    "/layers",
    "/units",
]
DETAIL_PATHS = [
    "/cases/{ref}",
    "/cases/{ref}/photos/{photo_id}",
    "/duties/{duty_id}",
    "/areas/{code}",
    "/buildings/{building_id}",
    "/layers/{layer_id}",
    "/units/{unit_id}",
]
WRITE_PATHS = [
    "/cases/{ref}/actions/{action}",
    "/cases/{ref}/photos",
    "/notifications/{notification_id}/read",
    "/notifications/read-all",
]


class PaginationTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        duty(cls.w)
        cls.case = make_case(cls.w)

    def test_every_list_has_the_same_envelope_and_edges(self) -> None:
        api = ApiClient(self.client, self.w.user("east", Role.DISPATCHER), scopes=("read",))
        for template in LIST_PATHS:
            path = template.replace("{ref}", self.case.number)
            first = api.get(path, page_size=1)
            assert first.status_code == 200, (path, first.content)
            data = first.json()
            self.assertEqual(set(data), {"count", "page", "page_size", "results"}, path)
            self.assertEqual((data["page"], data["page_size"]), (1, 1), path)
            self.assertEqual(api.get(path).json()["page_size"], 50, path)  # the default
            self.assertEqual(api.get(path, page_size=MAX_PAGE_SIZE).json()["page_size"], MAX_PAGE_SIZE)
            beyond = api.get(path, page=MAX_PAGE).json()  # past the end: empty, not an error
            self.assertEqual((beyond["results"], beyond["count"]), ([], data["count"]), path)
            for params, field, reason in [
                ({"page": MAX_PAGE + 1}, "page", "too_large"),
                ({"page": "9" * 40}, "page", "too_large"),
                ({"page": 0}, "page", "too_small"),
                ({"page": -3}, "page", "too_small"),
                ({"page_size": MAX_PAGE_SIZE + 1}, "page_size", "too_large"),
                ({"page_size": 0}, "page_size", "too_small"),
                ({"page": "two"}, "page", "invalid"),
            ]:
                response = api.get(path, **params)
                self.assertEqual(response.status_code, 400, (path, params))
                error = response.json()["error"]
                self.assertEqual(
                    (error["code"], error["fields"]), ("invalid", {field: reason}), (path, params)
                )
                self.assertIn(field, error["message"])
            self.assertIn(f"最大 {MAX_PAGE}", api.get(path, page=MAX_PAGE + 1).json()["error"]["message"])


# ---------------------------------------------------------------------------- OpenAPI and docs


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    from civicgrid.api.urls import api

    # As served: JSON (status codes become strings).
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix=BASE + "/")))


def operations(schema: dict[str, Any], only_ours: bool = False) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation, or only those of the resources listed above (other routers have their
    own tests)."""
    ours = {BASE + p for p in LIST_PATHS + DETAIL_PATHS + WRITE_PATHS}
    return [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if path in ours or not only_ours
    ]


def test_the_schema_is_served_and_lists_every_path(client):
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    paths = set(response.json()["paths"])
    for path in LIST_PATHS + DETAIL_PATHS + WRITE_PATHS:
        assert BASE + path in paths, path


def test_every_error_status_has_the_error_shape(schema):
    checked = 0
    for path, method, op in operations(schema):
        for status, answer in op["responses"].items():
            if int(status) >= 400:
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorOut", (path, method, status)
                checked += 1
    assert checked > 100
    for path, method, op in operations(schema, only_ours=True):
        # Token failures can happen on every operation.
        assert {"400", "401", "403", "404", "429"} <= set(op["responses"]), (path, method)
    detail = schema["paths"][BASE + "/areas/{code}"]["get"]["responses"]
    assert "304" in detail and "content" not in detail["304"]
    assert "412" in schema["paths"][BASE + "/cases/{ref}/actions/{action}"]["post"]["responses"]


def test_summaries_are_chinese_and_every_ref_resolves(schema):
    for path, method, op in operations(schema, only_ours=True):
        assert re.search(r"[\u4e00-\u9fff]", op.get("summary", "")), (path, method)
    components = schema["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(schema))
    assert refs and set(refs) <= set(components)
    upload = schema["paths"][BASE + "/cases/{ref}/photos"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload


def test_a_notice_documents_its_page_link_under_stable_names(schema):
    out = schema["components"]["schemas"]["NotificationOut"]
    assert "url" in out["required"] and out["properties"]["url"]["type"] == "string"
    assert "绝对路径" in out["properties"]["url"]["description"]
    page = schema["paths"][BASE + "/notifications"]["get"]
    assert page["operationId"] == "civicgrid_cases_api_list_notifications"
    assert page["tags"] == ["cases"]
    read = schema["paths"][BASE + "/notifications/{notification_id}/read"]["post"]
    assert read["operationId"] == "civicgrid_cases_api_read_notification"
    ok = read["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok == "#/components/schemas/NotificationOut"


def test_the_schema_is_valid_openapi(schema):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(schema)


def test_the_docs_page_loads_only_local_files(client):
    response = client.get(f"{BASE}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert not re.search(r"https?://", html)
    bundle = next(u for u in urls if u.endswith("swagger-ui-bundle.js"))
    assert client.get(bundle).status_code == 200  # served by the project itself
