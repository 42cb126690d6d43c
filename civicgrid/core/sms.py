"""Text messages through a provider (settings.CIVICGRID_SMS_PROVIDER).

A provider is anything with `send(to, text, key)` that raises `SmsError` when the message was
not accepted; core.messaging calls it outside every transaction, once per delivery row, and
retries a failure. Two are built in:

- "console" (development, tests): logs the message with the number masked and keeps it in
  `sent` (the last few hundred), as Django's locmem backend keeps e-mails in `mail.outbox`.
- "http": POSTs `{"to", "text", "key"}` as JSON to CIVICGRID_SMS_URL with
  `Authorization: Bearer CIVICGRID_SMS_TOKEN` and `Idempotency-Key: key`; any 2xx is
  accepted, anything else (a redirect too) is a failure. A gateway in front of the
  carrier's own API (阿里云, 腾讯云 …) speaks this.
"""

import json
import logging
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from .personal import mask_phone

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider did not take the message (the delivery is tried again)."""


class Provider(Protocol):
    def send(self, to: str, text: str, key: str) -> None: ...


@dataclass(frozen=True)
class Sent:
    to: str
    text: str
    key: str


# What the console provider "sent", newest last (bounded: a development server runs for days).
sent: deque[Sent] = deque(maxlen=500)


class ConsoleProvider:
    def send(self, to: str, text: str, key: str) -> None:
        sent.append(Sent(to, text, key))
        log.info("SMS to %s: %s", mask_phone(to), text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is an error: the body and the bearer token go to the configured URL only.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class HttpProvider:
    def __init__(self, url: str, token: str, timeout: float) -> None:
        if not url:
            raise SmsError("CIVICGRID_SMS_URL is not set")
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, to: str, text: str, key: str) -> None:
        body = json.dumps({"to": to, "text": text, "key": key}, ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": key,
            },
        )
        try:
            with _opener.open(request, timeout=self.timeout) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            raise SmsError(f"HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise SmsError(str(exc)[:200]) from None
        if not 200 <= status < 300:
            raise SmsError(f"HTTP {status}")


def provider() -> Provider:
    """The configured provider (read each time: tests and settings overrides switch it)."""
    name = settings.CIVICGRID_SMS_PROVIDER
    if name == "http":
        return HttpProvider(
            settings.CIVICGRID_SMS_URL, settings.CIVICGRID_SMS_TOKEN, settings.CIVICGRID_SMS_TIMEOUT
        )
    if name == "console":
        return ConsoleProvider()
    raise SmsError(f"unknown CIVICGRID_SMS_PROVIDER {name!r}")
