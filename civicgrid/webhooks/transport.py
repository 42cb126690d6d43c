"""The HTTP side of a delivery: URL checks and one POST, guarded against SSRF.

A subscriber's URL is chosen by a user, and the server POSTs to it from inside the
government network, so the URL could be aimed at internal services (a database admin page,
a cloud metadata endpoint at 169.254.169.254, the app itself on 127.0.0.1). Hence:

- one rule, `check_url()`, when a subscription is saved and again before every attempt: an
  absolute URL Django's URLValidator accepts (so a real host name with a top-level domain,
  `localhost` or a dotted IPv4 / bracketed IPv6 literal — not `http://0/`), no whitespace,
  quotes, angle brackets, backquotes or backslashes (they are percent-encoded in a real URL;
  literally they are markup smuggled into the pages and logs that show it), https only unless
  settings.CIVICGRID_WEBHOOKS_ALLOW_HTTP, no user:password@;
- a literal address is judged when the URL is saved, a host name only when sending (it may not
  resolve from here yet, and what it resolves to can change): unless
  settings.CIVICGRID_WEBHOOKS_ALLOW_PRIVATE (default: only under DEBUG; the test suite turns
  it on for its local receivers), every address must be a public one (not loopback, private,
  link-local, carrier-grade NAT, multicast, reserved…), and even when private ones are
  allowed it must be a host's (never 0.0.0.0/8, ::, multicast or 240.0.0.0/4). Resolved
  addresses are checked when the connection is made, and the connection goes to the address
  that was checked, so a DNS answer that changes between the check and the connect (DNS
  rebinding) gains nothing;
- redirects are not followed (a 3xx is a failed attempt): a public URL cannot bounce the
  request to an internal one;
- no proxy from the environment; the response body is read up to a bound only.

The standard library does the HTTP (http.client): neither requests nor httpx is a
dependency, and one POST needs nothing more.
"""

import http.client
import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

ALLOWED_SCHEMES = ("http", "https")
# Read at most this much of an answer; the log keeps a shorter excerpt.
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "civicgrid-webhooks/1"
# Never literal in a real URL (RFC 3986 percent-encodes them).
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f\"'<>`\\]")
_URL_VALIDATOR = URLValidator(schemes=list(ALLOWED_SCHEMES))
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")


class UnsafeURL(ValueError):
    """The URL may not be used as a webhook target; the message says why (Chinese, for the UI)."""


class DeliveryError(Exception):
    """The attempt got no HTTP answer (refused address, DNS, connection, timeout, TLS)."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str]
    elapsed_ms: int


def allow_private() -> bool:
    return bool(settings.CIVICGRID_WEBHOOKS_ALLOW_PRIVATE)


def allow_http() -> bool:
    return bool(settings.CIVICGRID_WEBHOOKS_ALLOW_HTTP)


def is_target(address: str, private: bool) -> bool:
    """Whether a webhook may go to this IP address: a public one, or any host's when `private`
    ones are allowed — never "this network" (0.0.0.0/8, ::), multicast or reserved."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:  # before is_reserved, which ::1 is too
        return private
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved or ip in _THIS_NETWORK:
        return False
    return private or ip.is_global


def check_url(url: str) -> str:
    """The URL, stripped, if it may be a webhook target; UnsafeURL otherwise (the module's
    docstring has the rule). Host names are resolved only when sending; a literal address or
    "localhost" is judged now."""
    url = (url or "").strip()
    if _FORBIDDEN.search(url):
        raise UnsafeURL(_("地址中不能有空格、引号、尖括号、反引号或反斜杠（请按网址规则编码）"))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL(_("地址格式无效")) from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL(_("只支持 http:// 或 https:// 地址"))
    if scheme == "http" and not allow_http():
        raise UnsafeURL(_("只支持 https:// 地址"))
    if not parts.hostname:
        raise UnsafeURL(_("地址缺少主机名"))
    if parts.username or parts.password:
        raise UnsafeURL(_("地址中不能包含用户名或密码，请改用签名密钥验证请求"))
    if port == 0:
        raise UnsafeURL(_("端口无效"))
    try:
        _URL_VALIDATOR(url)
    except ValidationError:
        raise UnsafeURL(_("不是有效的网址，主机须为完整域名（如 hooks.example.com）或 IP 地址")) from None
    host = parts.hostname.lower().rstrip(".")
    private = allow_private()
    if not private and (host == "localhost" or host.endswith(".localhost")):
        raise UnsafeURL(_("不允许推送到本机或内网地址"))
    try:
        target = is_target(host, private)
    except ValueError:
        return url  # a host name: judged by what it resolves to, when sending
    if not target:
        if is_target(host, True):  # a host's address, but a private one
            raise UnsafeURL(_("不允许推送到本机或内网地址"))
        raise UnsafeURL(_("%(host)s 不是可以接收推送的主机地址") % {"host": host})
    return url


def _connector(allow: bool) -> Any:
    """socket.create_connection that refuses non-public addresses (unless `allow`) and
    connects to the very address it checked."""

    def create_connection(
        address: tuple[str, int], timeout: Any = None, source_address: Any = None, *args: Any
    ) -> socket.socket:
        host, port = address
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise DeliveryError(f"无法解析主机名 {host}：{exc}") from None
        for info in infos:
            if not is_target(str(info[4][0]), allow):
                raise DeliveryError(f"{host} 解析到内网或保留地址 {info[4][0]}，已拒绝推送")
        error: OSError | None = None
        for family, socktype, proto, _name, sockaddr in infos:
            sock = socket.socket(family, socktype, proto)
            try:
                if timeout is not None:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                error = exc
                sock.close()
        raise error or DeliveryError(f"无法连接 {host}")

    return create_connection


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """One POST, no redirects, no retries. DeliveryError when there is no HTTP answer."""
    try:
        url = check_url(url)
    except UnsafeURL as exc:
        raise DeliveryError(str(exc)) from None
    parts = urlsplit(url)
    port = parts.port
    cls = http.client.HTTPSConnection if parts.scheme.lower() == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname or "", port, timeout=timeout)
    conn._create_connection = _connector(allow_private())  # type: ignore[attr-defined]
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    started = time.monotonic()
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
            },
        )
        answer = conn.getresponse()
        data = answer.read(MAX_RESPONSE_BYTES)
        return Response(
            status=answer.status,
            body=data,
            headers={k.lower(): v for k, v in answer.getheaders()},
            elapsed_ms=int((time.monotonic() - started) * 1000),
        )
    except DeliveryError:
        raise
    except TimeoutError:
        raise DeliveryError(f"超时（{timeout:g} 秒内无应答）") from None
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    finally:
        conn.close()
