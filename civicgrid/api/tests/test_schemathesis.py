"""Property-based tests of both published API descriptions with schemathesis: generated requests
(valid and invalid) against the real application in process (WSGI), with a fixed seed and a
bounded number of examples per operation. No response may be a server error, and every response
must be a documented status with the documented content type and schema.

- REST: the OpenAPI document ninja serves at /api/v1/openapi.json, called with a write token of
  a street's dispatcher (so reads find data and writes reach the actions).
- Open311: the description written from the GeoReport v2 specification
  (civicgrid/open311/openapi.json, served at /open311/v2/openapi.json); POSTs carry a valid
  api_key half of the time, so the create path is exercised too.
"""

import json
import zlib
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from civicgrid.accounts import tokens
from civicgrid.api.urls import api
from civicgrid.cases.tests.factories import duty, make_case
from civicgrid.core.choices import Role

pytestmark = pytest.mark.django_db

SEED = 20261123
EXAMPLES = 12  # per operation: enough to reach every parameter, small enough for CI
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no example database: every run generates the same examples
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

application = get_wsgi_application()
rest = schemathesis.openapi.from_dict(api.get_openapi_schema())
rest.app = application
OPEN311_SCHEMA = Path(__file__).resolve().parents[2] / "open311" / "openapi.json"
open311 = schemathesis.openapi.from_dict(json.loads(OPEN311_SCHEMA.read_text(encoding="utf-8")))
open311.app = application


@pytest.fixture
def same_connection():
    """Django's WSGI handler closes the database connection after each request (what a server
    wants); inside a test's transaction that would close it under the test, as Django's own
    test client knows, so the handler is kept from doing it for the duration."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def data(world, settings, tmp_path, same_connection) -> dict[str, Any]:
    """A world with routed cases in it, and a token that may write everywhere it may act."""
    settings.MEDIA_ROOT = tmp_path
    settings.ALLOWED_HOSTS = ["*"]  # schemathesis' WSGI client sends its own Host
    cache.clear()  # the rate-limit windows
    duty(world)
    for i in range(3):
        make_case(world, description=f"模糊测试用工单 {i}")
    user = world.user("east", Role.DISPATCHER)
    issued = tokens.issue(user, scopes=["write"], rate_limit=0)
    return {"auth": {"Authorization": f"Bearer {issued.key}"}, "key": issued.key}


@rest.parametrize()
@seed(SEED)
@FUZZ_SETTINGS
def test_rest_api_conforms_to_its_schema(case: Any, data: dict[str, Any]) -> None:
    case.call_and_validate(headers=data["auth"], checks=CHECKS)


@open311.parametrize()
@seed(SEED)
@FUZZ_SETTINGS
def test_open311_conforms_to_its_description(case: Any, data: dict[str, Any]) -> None:
    if (
        case.method == "POST"
        and isinstance(case.body, dict)
        and zlib.crc32(repr(sorted(case.body.items())).encode()) % 2 == 0
    ):
        case.body["api_key"] = data["key"]
    case.call_and_validate(checks=CHECKS)
