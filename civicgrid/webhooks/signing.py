"""Request signing: how a subscriber knows a POST came from us, unchanged and recent.

Each attempt carries `X-Civicgrid-Timestamp` (Unix seconds, new on every attempt) and
`X-Civicgrid-Signature: sha256=<hex>`, the HMAC-SHA256 with the subscription's secret of

    "<timestamp>." + <the raw request body, byte for byte>

`verify()` is the recipe a receiver follows (docs: /work/helpers/api-doc-webhooks.md): compute
the same HMAC over the raw body (before any JSON parsing), compare in constant time, and
refuse a timestamp older than a few minutes (a replayed request).
"""

import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "X-Civicgrid-Signature"
TIMESTAMP_HEADER = "X-Civicgrid-Timestamp"
EVENT_HEADER = "X-Civicgrid-Event"
DELIVERY_HEADER = "X-Civicgrid-Delivery"
# How far a receiver should let the timestamp be from its clock (seconds).
DEFAULT_TOLERANCE = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def headers(
    secret: str, body: bytes, event: str, delivery_id: str, now: float | None = None
) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    body: bytes,
    timestamp: str,
    signature_header: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """True if `signature_header` signs `timestamp` and `body` with `secret` and the timestamp
    is within `tolerance` seconds of now. What a subscriber runs on every request."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - sent_at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), signature_header or "")
