"""One reusable permission-matrix check (after NetBox's utilities/testing/views.py).

    assert_matrix(client, url, {Role.ADMIN: 200, Role.RESIDENT: 404}, users)

logs in each role in turn and asserts the status code, reporting every mismatch at once.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.test import Client


def assert_matrix(
    client: Client,
    url: str,
    expected: Mapping[str, int],
    users: Mapping[str, Any],
    method: str = "get",
    data: Mapping[str, Any] | None = None,
    check: Callable[[Any, str], None] | None = None,
) -> None:
    failures = []
    for role, status in expected.items():
        client.force_login(users[role])
        response = getattr(client, method)(url, data or {})
        if response.status_code != status:
            failures.append(f"{role}: expected {status}, got {response.status_code}")
        elif check is not None:
            check(response, role)
        client.logout()
    assert not failures, f"{method.upper()} {url}: " + "; ".join(failures)
