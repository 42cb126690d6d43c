"""Counting hits in a fixed time window in the cache (shared by every worker with Redis)."""

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # Behind a proxy the deployment must set REMOTE_ADDR correctly (e.g. via the proxy's
    # real-IP module); a client-supplied X-Forwarded-For would let anyone dodge the throttle.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(key: str, window_seconds: int) -> int:
    """Count one hit on `key`; the number of hits in its current window (this one included).
    The counter expires `window_seconds` after the window's first hit."""
    # add() is a no-op when the counter exists.
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window_seconds)
        return 1
