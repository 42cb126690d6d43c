"""/api/v1/webhooks through a test mount of the router (tests/api_urls.py): CRUD, secrets,
deliveries, resend, scope, errors, query counts."""

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts import tokens
from civicgrid.cases import actions as case_actions
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.tests.factories import advance, duty, make_case
from civicgrid.core.choices import Role
from civicgrid.webhooks.models import Delivery, Subscription

pytestmark = [pytest.mark.django_db, pytest.mark.urls("civicgrid.webhooks.tests.api_urls")]
BASE = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the per-token rate limit counts in the cache
    yield
    cache.clear()


class Api:
    def __init__(self, client: Any, user: Any, scopes: list[str] | None = None) -> None:
        self.client = client
        self.headers = {
            "Authorization": f"Bearer {tokens.issue(user, scopes=scopes or ['webhooks:write']).key}"
        }

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(BASE + path, params, headers=self.headers)

    def send(self, method: str, path: str, body: Any = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return getattr(self.client, method)(
            BASE + path, data, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def w(world):
    duty(world)
    return world


def new(w, receiver, **overrides):
    return {
        "name": "东大屏",
        "url": receiver.url,
        "events": ["case.dispatch"],
        "streets": [w.east.street.code],
        **overrides,
    }


def test_crud(client, w, receiver):
    api = Api(client, w.user("east", Role.ADMIN))
    created = api.send("post", "/webhooks", new(w, receiver))
    assert created.status_code == 201, created.content
    body = created.json()
    sub = Subscription.objects.get()
    assert body["secret"] == sub.secret and body["secret"].startswith("whsec_")
    assert body["streets"] == [{"code": w.east.street.code, "name": w.east.street.name}]
    assert body["owner"] == "east-admin" and body["created_at"].endswith("+08:00")

    got = api.get(f"/webhooks/{sub.pk}").json()
    assert "secret" not in got and got["events"] == ["case.dispatch"]
    listed = api.get("/webhooks").json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]

    patched = api.send(
        "patch", f"/webhooks/{sub.pk}", {"active": False, "events": ["case.close", "case.sign"]}
    )
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert patched.json()["events"] == ["case.close", "case.sign"]
    assert api.get("/webhooks", active="true").json()["count"] == 0

    rotated = api.send("post", f"/webhooks/{sub.pk}/rotate-secret").json()
    sub.refresh_from_db()
    assert rotated["secret"] == sub.secret != body["secret"]

    kinds = api.get("/webhooks/events").json()
    assert {"event": "case.dispatch", "label": "派遣"} in kinds

    assert api.send("delete", f"/webhooks/{sub.pk}").status_code == 204
    assert not Subscription.objects.exists()
    assert api.get(f"/webhooks/{sub.pk}").status_code == 404


def test_errors_have_the_api_shape(client, w, receiver, settings):
    settings.CIVICGRID_WEBHOOKS_ALLOW_PRIVATE = False
    api = Api(client, w.user("east", Role.ADMIN))
    bad = api.send("post", "/webhooks", new(w, receiver))  # 127.0.0.1
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid" and bad.json()["error"]["fields"] == {"url": "invalid"}
    other = api.send(
        "post", "/webhooks", new(w, receiver, url="https://example.com/", streets=[w.west.street.code])
    )
    assert other.status_code == 400 and other.json()["error"]["fields"] == {"streets": "out_of_scope"}
    unknown = api.send(
        "post", "/webhooks", new(w, receiver, url="https://example.com/", events=["case.nope"])
    )
    assert unknown.json()["error"]["fields"] == {"events": "invalid_choice"}
    extra = api.send("post", "/webhooks", {**new(w, receiver), "secret": "mine"})
    assert extra.status_code == 400 and extra.json()["error"]["fields"] == {"secret": "unknown"}
    dispatcher = Api(client, w.user("east", Role.DISPATCHER))
    refused = dispatcher.send("post", "/webhooks", new(w, receiver, url="https://example.com/"))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert dispatcher.get("/webhooks").json()["count"] == 0
    read_only = Api(client, w.user("east", Role.ADMIN), scopes=["webhooks:read"])
    assert read_only.send("post", "/webhooks", new(w, receiver)).status_code == 403
    cases_only = Api(client, w.user("east", Role.ADMIN), scopes=["cases:write"])
    assert cases_only.get("/webhooks").status_code == 403
    assert not Subscription.objects.exists()


def test_other_streets_see_nothing(client, w, receiver):
    east = Api(client, w.user("east", Role.ADMIN))
    sub_id = east.send("post", "/webhooks", new(w, receiver)).json()["id"]
    west = Api(client, w.user("west", Role.ADMIN))
    assert west.get("/webhooks").json()["count"] == 0
    for response in (
        west.get(f"/webhooks/{sub_id}"),
        west.get(f"/webhooks/{sub_id}/deliveries"),
        west.send("patch", f"/webhooks/{sub_id}", {"active": False}),
        west.send("delete", f"/webhooks/{sub_id}"),
        west.send("post", f"/webhooks/{sub_id}/rotate-secret"),
    ):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert Subscription.objects.get().active


def test_deliveries_and_resend(client, w, receiver, django_capture_on_commit_callbacks, settings):
    settings.CIVICGRID_WEBHOOKS_MAX_ATTEMPTS = 1
    api = Api(client, w.user("east", Role.ADMIN))
    sub_id = api.send("post", "/webhooks", new(w, receiver)).json()["id"]
    receiver.answer(500, body=b"no")
    case = advance(w, make_case(w), CaseStatus.FILED)
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.run_action(case.pk, "dispatch", w.user("east", Role.DISPATCHER), {})
    page = api.get(f"/webhooks/{sub_id}/deliveries", status="failed").json()
    assert page["count"] == 1
    row = page["results"][0]
    assert row["case"] == {"id": case.pk, "number": case.number} and row["event"] == "case.dispatch"
    assert row["response_status"] == 500 and row["response_body"] == "no" and row["attempts"] == 1
    assert row["attempt_log"][0]["status"] == 500 and row["payload"]["id"] == row["id"]
    assert api.get(f"/webhooks/{sub_id}/deliveries/{row['id']}").json()["id"] == row["id"]

    with django_capture_on_commit_callbacks(execute=True):
        resent = api.send("post", f"/webhooks/{sub_id}/deliveries/{row['id']}/resend")
    assert resent.status_code == 200
    assert Delivery.objects.get().status == "succeeded"
    again = api.send("post", f"/webhooks/{sub_id}/deliveries/{row['id']}/resend")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_list_query_counts_do_not_grow(
    client, w, receiver, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    api = Api(client, w.user("east", Role.ADMIN))
    sub_id = api.send("post", "/webhooks", new(w, receiver)).json()["id"]
    with CaptureQueriesContext(connection) as one:
        assert api.get("/webhooks").json()["count"] == 1
    baseline = len(one.captured_queries)  # now: the next request clears the connection's log
    for i in range(4):
        api.send("post", "/webhooks", new(w, receiver, name=f"更多{i}"))
    with django_assert_max_num_queries(baseline):
        assert api.get("/webhooks").json()["count"] == 5

    def dispatched() -> None:
        case = advance(w, make_case(w), CaseStatus.FILED)
        with django_capture_on_commit_callbacks(execute=True):
            case_actions.run_action(case.pk, "dispatch", w.user("east", Role.DISPATCHER), {})

    dispatched()
    with CaptureQueriesContext(connection) as one:
        assert api.get(f"/webhooks/{sub_id}/deliveries").json()["count"] == 1
    baseline = len(one.captured_queries)
    for _ in range(3):
        dispatched()
    with django_assert_max_num_queries(baseline):
        assert api.get(f"/webhooks/{sub_id}/deliveries").json()["count"] == 4


@pytest.mark.parametrize("url", ['https://hooks.example.com/x?a="><img …>', "http://0/", "http://0.0.0.0/"])
def test_a_url_no_delivery_could_use_is_a_400_naming_the_field(client, w, receiver, url):
    api = Api(client, w.user("east", Role.ADMIN))
    bad = api.send("post", "/webhooks", new(w, receiver, url=url))
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert (
        error["code"] == "invalid"
        and error["fields"] == {"url": "invalid"}
        and "接收地址" in error["message"]
    )
    created = api.send("post", "/webhooks", new(w, receiver))
    assert created.status_code == 201
    patched = api.send("patch", f"/webhooks/{created.json()['id']}", {"url": url})
    assert patched.status_code == 400 and patched.json()["error"]["fields"] == {"url": "invalid"}
    assert list(Subscription.objects.values_list("url", flat=True)) == [receiver.url]
    valid = api.send("patch", f"/webhooks/{created.json()['id']}", {"url": "https://hooks.example.com/x"})
    assert valid.status_code == 200 and valid.json()["url"] == "https://hooks.example.com/x"
