"""Test clients for the REST API (/api/v1/).

    api = ApiClient(client, user)            # a bearer token for `user` (read + write scopes)
    api.get("/areas", kind="grid").json()
    assert_matrix(TokenLogin(client), "/api/v1/areas/X", {Role.ADMIN: 200}, users)

`TokenLogin` lets civicgrid.testing.permissions.assert_matrix drive the API: "logging in"
issues a token for the user instead of a session.
"""

import json
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts import tokens

BASE = "/api/v1"


class ApiClient:
    """A test client speaking JSON with one user's bearer token."""

    def __init__(
        self, client: Client, user: Any = None, key: str | None = None, scopes: tuple[str, ...] = ("write",)
    ) -> None:
        self.client = client
        self.user = user
        self.key = key if key is not None else tokens.issue(user, scopes=list(scopes)).key

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, path: str, headers: Mapping[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(BASE + path, params, headers=self.headers(headers))

    def post(self, path: str, body: Any = None, headers: Mapping[str, str] | None = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return self.client.post(
            BASE + path, data, content_type="application/json", headers=self.headers(headers)
        )

    def upload(self, path: str, data: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Any:
        """A multipart/form-data POST (files as django.core.files.uploadedfile objects)."""
        return self.client.post(BASE + path, data, headers=self.headers(headers))

    def count_queries(self, path: str, **params: Any) -> tuple[int, Any]:
        """(queries, response) of one GET; the token's first use (a last_used_at write) is
        made beforehand so it never counts."""
        self.get("/categories")
        with CaptureQueriesContext(connection) as ctx:
            response = self.get(path, **params)
        assert response.status_code == 200, response.content
        return len(ctx.captured_queries), response


class TokenLogin:
    """The part of django.test.Client that assert_matrix uses, with bearer tokens."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.key: str | None = None

    def force_login(self, user: Any) -> None:
        self.key = tokens.issue(user, scopes=["read"]).key

    def logout(self) -> None:
        self.key = None

    def get(self, url: str, data: Mapping[str, Any] | None = None) -> Any:
        return self.client.get(url, data or {}, headers={"Authorization": f"Bearer {self.key}"})
