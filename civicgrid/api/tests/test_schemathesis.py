"""Property-based tests of both published API descriptions with schemathesis: generated requests
(valid and invalid) against the real application in process (WSGI), with a fixed seed and a
bounded number of examples per operation. No response may be a server error, and every response
must be a documented status with the documented content type and schema.

- REST: the OpenAPI document ninja serves at /api/v1/openapi.json, called with a write token of
  a street's dispatcher (so reads find data and writes reach the actions).
- Open311: the description written from the GeoReport v2 specification
  (civicgrid/open311/openapi.json, served at /open311/v2/openapi.json); POSTs carry a valid
  api_key half of the time, so the create path is exercised too.

Every check schemathesis has runs (its defaults: conformance of status, content type, schema
and headers, negative data rejected, positive data accepted, authentication not ignored,
unsupported methods refused, use after free…), first per operation (stateless), then in the
stateful phase: sequences of calls linked through the values one response hands the next
(links schemathesis infers from the descriptions), e.g. POST /cases → GET /cases/{ref} →
an action on it. Both phases are derandomised and bounded, so every run sends the same
requests in a minute or two, on SQLite and on PostgreSQL.
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
from schemathesis.config import SchemathesisConfig

from civicgrid.accounts import tokens
from civicgrid.api.urls import api
from civicgrid.cases.tests.factories import duty, make_case
from civicgrid.core.choices import Role
from civicgrid.testing.residents import build_registry

pytestmark = pytest.mark.django_db

SEED = 20261123
EXAMPLES = 12  # per operation: enough to reach every parameter, small enough for CI
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no example database: every run generates the same examples
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

# Schema-valid requests may still break rules a description cannot state — an unknown
# category code, an address nothing locates, more photos than allowed, a NUL character, a
# date outside 2000–2100 — and those are a 400 naming the field, not a failure.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", 400, 401, 403, 404, 409, 429]}
        }
    }
)
application = get_wsgi_application()
rest = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG)
rest.app = application
# The tokens of the running test (the `data` fixture issues them per test database): "key",
# a dispatcher's, and "residents", a cadre's for the registry (a dispatcher sees none of it).
TOKEN: dict[str, str] = {}
RESIDENTS = "/api/v1/residents/"


@rest.auth(refresh_interval=None)  # no cache: each test has its own token
class BearerToken:
    """The token as an auth provider, so schemathesis knows the authentication is valid and
    its ignored_auth check can probe each operation without it and with a wrong one."""

    def get(self, case: Any, ctx: Any) -> str:
        return TOKEN.get("key", "")  # schemathesis asks once at collection, before any test

    def set(self, case: Any, data: str, ctx: Any) -> None:
        if data == TOKEN.get("key") and case.path.startswith(RESIDENTS):
            data = TOKEN["residents"]  # the registry is the cadre's, not the desk's
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


OPEN311_SCHEMA = Path(__file__).resolve().parents[2] / "open311" / "openapi.json"
open311 = schemathesis.openapi.from_dict(
    json.loads(OPEN311_SCHEMA.read_text(encoding="utf-8")), config=CONFIG
)
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
    """A world with routed cases and a residents' registry in it, and tokens that may write
    everywhere they may act."""
    settings.MEDIA_ROOT = tmp_path
    settings.ALLOWED_HOSTS = ["*"]  # schemathesis' WSGI client sends its own Host
    cache.clear()  # the rate-limit windows
    duty(world)
    for i in range(3):
        make_case(world, description=f"模糊测试用工单 {i}")
    user = world.user("east", Role.DISPATCHER)
    issued = tokens.issue(user, scopes=["write"], rate_limit=0)
    TOKEN["key"] = issued.key
    build_registry(world.east)
    cadre = tokens.issue(world.user("east", Role.CADRE), scopes=["write"], rate_limit=0)
    TOKEN["residents"] = cadre.key
    return {"key": issued.key}


@rest.parametrize()
@seed(SEED)
@FUZZ_SETTINGS
def test_rest_api_conforms_to_its_schema(case: Any, data: dict[str, Any]) -> None:
    case.call_and_validate()


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
    case.call_and_validate()


STATEFUL_SETTINGS = settings(
    max_examples=8,  # scenarios per description
    stateful_step_count=6,  # calls per scenario
    derandomize=True,  # the same scenarios every run
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_rest_api_call_sequences_conform(data: dict[str, Any]) -> None:
    rest.as_state_machine().run(settings=STATEFUL_SETTINGS)


def test_open311_call_sequences_conform(data: dict[str, Any]) -> None:
    open311.as_state_machine().run(settings=STATEFUL_SETTINGS)
