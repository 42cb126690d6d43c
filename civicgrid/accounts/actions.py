"""Writes of the accounts app that the web UI makes: API tokens and integrations.

Each runs in one transaction under acting_as(), so the audit trail names who did it.
Callers pass objects they already got through restrict(); the street checks here guard
the values being written (the streets an integration may act in).
"""

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from civicgrid.core.audit import acting_as
from civicgrid.core.scope import forget_scope
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from . import tokens
from .models import ApiClient, ApiToken, Membership, User

SERVICE_USERNAME_PREFIX = "svc-"


def _check_streets(by: Any, streets: Iterable[Area]) -> list[Area]:
    streets = list(streets)
    if any(s.kind != AreaKind.STREET for s in streets):
        raise ValueError("只能选择街道")
    if not streets:
        raise ValueError("至少选择一个街道")
    if not by.is_superuser and not {s.pk for s in streets} <= set(by.scope.street_ids):
        raise PermissionDenied("只能选择你管辖的街道")
    return streets


def check_name(name: str, streets: Iterable[Area], client: ApiClient | None = None) -> None:
    """Integration names are unique per street: a ValidationError naming the streets (all the
    caller's own) where `name` is taken. Another street's integrations neither block a
    name nor show through this message."""
    taken = ApiClient.objects.named(name, streets)
    if client is not None and client.pk:
        taken = taken.exclude(pk=client.pk)
    where = [s for s in streets if s.api_clients.filter(pk__in=taken.values("pk")).exists()]
    if where:
        names = "、".join(s.name for s in where)
        raise ValidationError(
            gettext("%(streets)s已有同名的外部系统接入") % {"streets": names}, code="unique"
        )


def _lock_streets(streets: list[Area]) -> None:
    # Two integrations of one name created at once in a street: the second waits and sees the first.
    list(Area.objects.select_for_update().filter(pk__in=[s.pk for s in streets]).values_list("pk"))


def sync_street_memberships(client: ApiClient) -> None:
    """One street-level membership per street of the integration: its service account's
    scope follows the streets. Memberships the administrator added below street level (a
    grid, a unit) inside those streets are kept; those in a street no longer listed go."""
    account = client.service_account
    street_ids = set(client.streets.values_list("pk", flat=True))
    for m in list(Membership.objects.filter(user=account).select_related("area", "unit")):
        where = m.audit_street_id()
        if where not in street_ids:
            m.delete()
    have = set(
        Membership.objects.filter(user=account, area_id__in=street_ids).values_list("area_id", flat=True)
    )
    for street_id in sorted(street_ids - have):
        Membership.objects.create(user=account, area_id=street_id, title="外部系统接入")
    forget_scope(account)


def new_service_account(name: str, role: str) -> User:
    """The account an integration acts as: no password, no web login, never staff."""
    account = User(
        username=SERVICE_USERNAME_PREFIX + secrets.token_hex(5),
        full_name=name[:50],
        role=role,
        is_service_account=True,
    )
    account.set_unusable_password()
    account.save()
    return account


def create_integration(
    by: Any, *, name: str, description: str = "", streets: Iterable[Area], role: str
) -> ApiClient:
    """An integration and its service account (no password, no web login, not staff)."""
    streets = _check_streets(by, streets)
    with transaction.atomic(), acting_as(by, "web"):
        _lock_streets(streets)
        check_name(name, streets)
        account = new_service_account(name, role)
        client = ApiClient.objects.create(name=name, description=description, service_account=account)
        client.streets.set(streets)
        sync_street_memberships(client)
    return client


def update_integration(
    by: Any,
    client: ApiClient,
    *,
    name: str,
    description: str,
    active: bool,
    streets: Iterable[Area],
    role: str,
) -> ApiClient:
    streets = _check_streets(by, streets)
    with transaction.atomic(), acting_as(by, "web"):
        _lock_streets(streets)
        check_name(name, streets, client)
        client.name, client.description, client.active = name, description, active
        client.save()
        client.streets.set(streets)
        account = client.service_account
        # The account follows the switch so that nothing else (a session, a future
        # authentication path) can use a disabled integration.
        if (account.role, account.is_active, account.full_name) != (role, active, name[:50]):
            account.role, account.is_active, account.full_name = role, active, name[:50]
            account.save()
        sync_street_memberships(client)
    return client


def issue_token(
    by: Any,
    owner: Any,
    *,
    name: str = "",
    scopes: Iterable[str] | None = None,
    expires_at: datetime | None = None,
    rate_limit: int | None = None,
    via: str = "web",
) -> tokens.IssuedToken:
    """A new token for `owner` (the user themself, or an integration's service account)."""
    with transaction.atomic(), acting_as(by, via):
        return tokens.issue(owner, name=name, expires_at=expires_at, scopes=scopes, rate_limit=rate_limit)


def revoke_token(by: Any, token: ApiToken) -> None:
    with transaction.atomic(), acting_as(by, "web"):
        tokens.revoke(token)


def remember_language(user: Any, language: str) -> None:
    """The language the account's e-mails and text messages are written in: the one its owner
    last picked with the language switch (their own preference, like a read mark: no audit)."""
    if language in {code for code, _name in settings.LANGUAGES}:
        User.objects.filter(pk=user.pk).exclude(language=language).update(language=language)
