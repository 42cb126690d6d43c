"""Scopes and the audit trail on the real API: creating a case through /api/v1/cases."""

import json

import pytest
from django.core.cache import cache

from civicgrid.accounts import actions, tokens
from civicgrid.cases.models import Case
from civicgrid.cases.tests.factories import duty
from civicgrid.cases.tests.test_api import new_case_body
from civicgrid.core.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    cache.clear()
    duty(world)
    return world


def post_case(client, key, body):
    return client.post(
        "/api/v1/cases",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def test_a_read_only_token_cannot_create_a_case(client, w):
    for scopes in (["read"], ["cases:read", "geo:write"]):
        key = tokens.issue(w.user("east", Role.DISPATCHER), scopes=scopes).key
        response = post_case(client, key, new_case_body(w))
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "insufficient_scope" and "cases:write" in error["message"]
    assert not Case.objects.exists()
    listing = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {key}"})
    assert listing.status_code == 200


def test_an_integration_creates_cases_as_its_service_account(client, w):
    # Cases keep their own trail (CaseEvent): its rows name the token; the token in AuditLog
    # is tested with an audited model in test_api_auth.
    hotline = actions.create_integration(
        w.user("east", Role.ADMIN), name="12345 平台", streets=[w.east.street], role=Role.DISPATCHER
    )
    issued = actions.issue_token(None, hotline.service_account, scopes=["cases:write"])
    response = post_case(client, issued.key, new_case_body(w))
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.created_by_id == hotline.service_account.pk
    created = case.events.get()
    assert created.data["api_token"] == {"id": issued.token.pk, "label": tokens.token_label(issued.token)}
    # A write outside the API (the web page, the command line) names no token.
    from civicgrid.cases import actions as case_actions

    case_actions.run_action(case, "comment", w.user("east", Role.DISPATCHER), {"note": "网页上的备注"})
    assert "api_token" not in case.events.latest("id").data
    # The service account's scope holds: a case in the west street is outside it.
    outside = post_case(client, issued.key, new_case_body(w, street="west"))
    assert outside.status_code in (400, 403, 404) and Case.objects.count() == 1
