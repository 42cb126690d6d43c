"""Login throttling: failed sign-ins counted in the cache (core.throttle; Redis in production,
so every worker counts together) per address, per username and per (address, username).

- (address, username), CIVICGRID_LOGIN_FAILURE_LIMIT failures: one person's typos, or one
  address guessing one account.
- address, CIVICGRID_LOGIN_ADDRESS_LIMIT failures whatever the usernames: one address trying
  a few passwords on every account. Well above the pair's limit, because a street office's
  staff share one NAT address. An IPv6 /64 counts as one address (one subscriber holds it).
- username, CIVICGRID_LOGIN_USERNAME_LIMIT failures from any addresses: many addresses
  guessing one account. This lock does not apply at an address the account signed in from
  within CIVICGRID_LOGIN_KNOWN_ADDRESS_DAYS, so guessing from elsewhere cannot keep the owner
  out where they usually work; at a new address they wait like the attacker.

A sign-in is refused when any counter has reached its limit. Counters run in fixed windows of
CIVICGRID_LOGIN_WINDOW seconds from their first failure, so a lock lasts at most that long.
A refused attempt checks no password (the right one is refused too, in the same time) and
counts nothing: hammering a locked address does not go on to lock the usernames it names.
A successful sign-in resets only its (address, username) counter: the address's and the
username's count other people's failures as well (an attacker with an account of their own
must not be able to reset the address's counter by signing in between guesses).

Every refusal reads the same whether the account exists or not and whichever counter locked.
Only password sign-ins pass here (the login page and the admin's, through the backend
`LoginThrottleBackend`); API tokens are random keys, not passwords (accounts.tokens).
"""

import hashlib
import ipaddress
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from civicgrid.core import throttle

_REFUSED = "_civicgrid_login_throttled"


def _address(request: HttpRequest) -> str:
    address = throttle.client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def _user(username: str) -> str:
    # Hashed: any text makes a valid cache key, and the cache keeps no user names.
    return hashlib.sha256(username.casefold().encode()).hexdigest()[:32]


def _keys(request: HttpRequest, username: str) -> tuple[str, str, str, str]:
    """The counters of the pair, the address and the username, and the known-address mark."""
    address, user = _address(request), _user(username)
    return (
        f"login:fail:{address}:{user}",
        f"login:fail:{address}",
        f"login:fail:u:{user}",
        f"login:known:{user}:{address}",
    )


def locked(request: HttpRequest, username: str) -> bool:
    pair, address, user, known = _keys(request, username)
    counts = cache.get_many([pair, address, user])
    if counts.get(pair, 0) >= settings.CIVICGRID_LOGIN_FAILURE_LIMIT:
        return True
    if counts.get(address, 0) >= settings.CIVICGRID_LOGIN_ADDRESS_LIMIT:
        return True
    return counts.get(user, 0) >= settings.CIVICGRID_LOGIN_USERNAME_LIMIT and not cache.get(known)


def refuse(request: HttpRequest) -> None:
    """Mark the request as refused by the throttle (for the page, and so it is not counted)."""
    setattr(request, _REFUSED, True)


def was_refused(request: HttpRequest) -> bool:
    return bool(getattr(request, _REFUSED, False))


def on_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any
) -> None:
    """user_login_failed: count the failure, unless the throttle itself refused it."""
    if request is None or was_refused(request):
        return
    pair, address, user, _known = _keys(request, str(credentials.get("username") or ""))
    for key in (pair, address, user):
        throttle.hit(key, settings.CIVICGRID_LOGIN_WINDOW)


def on_success(sender: Any, request: HttpRequest | None, user: Any, **kw: Any) -> None:
    """user_logged_in: reset the pair's counter and remember the address for the account."""
    if request is None:
        return
    pair, _address_key, _user_key, known = _keys(request, user.get_username())
    cache.delete(pair)
    cache.set(known, True, timeout=settings.CIVICGRID_LOGIN_KNOWN_ADDRESS_DAYS * 86400)
