"""Reading GeoReport parameters: the api_key, jurisdiction_id, dates, lists, numbers.

Every refusal is an Open311Error carrying the HTTP status the spec asks for (403 for a
missing or bad api_key, 404 for an unknown jurisdiction/service/request, 400 otherwise).
"""

import math
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from civicgrid.accounts import tokens
from civicgrid.accounts.models import ApiToken
from civicgrid.core import clock
from civicgrid.core.audit import set_api_token
from civicgrid.core.inputs import is_digits
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from . import conf

APP = "open311"


class Open311Error(Exception):
    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


def param(request: HttpRequest, name: str) -> str | None:
    """A parameter from the form body (POST) or the query string; empty counts as absent
    (the spec: "a null parameter should be treated as equivalent to a non-declared one")."""
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name)
    value = clean(name, (value or "").strip())
    return value or None


def clean(name: str, value: str) -> str:
    # PostgreSQL refuses NUL in text (a 500 otherwise); no GeoReport value carries one.
    if "\x00" in value:
        raise Open311Error(400, f"{name} 含有非法字符（NUL）")
    return value


def api_token(request: HttpRequest, *, write: bool, required: bool) -> ApiToken | None:
    """The api_key's token: 403 if it is missing (when required), unknown, revoked or expired,
    or lacks the open311 scope needed; 429 (with Retry-After) over the token's rate limit."""
    key = param(request, "api_key")
    if key is None:
        if required:
            raise Open311Error(403, "缺少 api_key：提交诉求需要 API 令牌")
        return None
    try:
        token = tokens.authenticate_token(key)
    except tokens.TokenError as exc:
        raise Open311Error(403, f"api_key 无效：{exc.message}") from None
    try:
        tokens.check_rate(token)
    except tokens.RateLimited as exc:
        raise Open311Error(
            429, f"请求过于频繁，请 {exc.retry_after} 秒后重试", {"Retry-After": str(exc.retry_after)}
        ) from None
    if not token.allows(APP, write=write):
        needed = f"{APP}:{'write' if write else 'read'}"
        raise Open311Error(403, f"api_key 缺少权限范围“{needed}”")
    # Audit rows written during this request name the token (cleared by the middleware).
    set_api_token(token.pk, tokens.token_label(token))
    return token


def streets() -> list[Area]:
    """Every jurisdiction this endpoint serves: the streets, by code."""
    return list(Area.objects.filter(kind=AreaKind.STREET).order_by("code"))


def valid_ids() -> str:
    """The valid jurisdiction_id values, for an error that needs one."""
    listed = "、".join(f"{s.code}（{s.name}）" for s in streets())
    return f"可用的 jurisdiction_id（街道编码）：{listed}" if listed else "本平台尚未设置街道"


def jurisdiction(request: HttpRequest) -> Area | None:
    """The street named by jurisdiction_id (its code), or None when it is left out: outside
    clients send none unless configured, so every answer that does not depend on it covers
    every street (services are shared, a POST's location decides). An unknown code is 404."""
    code = param(request, "jurisdiction_id")
    if code is None:
        return None
    street = Area.objects.filter(kind=AreaKind.STREET, code=code).first()
    if street is None:
        raise Open311Error(404, f"jurisdiction_id“{code}”不存在；{valid_ids()}")
    return street


def within(street: Area | None) -> dict[str, Any]:
    """Filter keywords for `street`; none when it is left out (every street)."""
    return {"street_id": street.pk} if street is not None else {}


def jurisdiction_needed(reason: str) -> Open311Error:
    """The 400 when the answer really depends on the street: it names the valid ids."""
    return Open311Error(400, f"缺少 jurisdiction_id：{reason}；{valid_ids()}")


def flag(request: HttpRequest, name: str) -> bool:
    value = (param(request, name) or "").lower()
    if value not in {"", "true", "false"}:
        raise Open311Error(400, f"{name}“{value}”无效，应为 true 或 false")
    return value == "true"


def listed(request: HttpRequest, name: str) -> list[str]:
    """A comma-separated list (also accepted repeated: ?status=open&status=closed)."""
    source = request.POST if request.method == "POST" else request.GET
    values = source.getlist(name) or request.GET.getlist(name)
    out: list[str] = []
    for value in values:
        for part in clean(name, value).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def number(request: HttpRequest, name: str) -> float | None:
    text = param(request, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise Open311Error(400, f"{name}“{text}”不是有效的数字")
    return value


def positive_int(request: HttpRequest, name: str, default: int, maximum: int) -> int:
    text = param(request, name)
    if text is None:
        return default
    if not is_digits(text) or len(text) > 9 or not 1 <= int(text) <= maximum:
        raise Open311Error(400, f"{name}“{text}”无效，应为 1 至 {maximum} 的整数")
    return int(text)


def bounded(request: HttpRequest, name: str, max_length: int) -> str:
    text = param(request, name) or ""
    if len(text) > max_length:
        raise Open311Error(400, f"{name} 超过 {max_length} 个字符")
    return text


# An unencoded "+" of an offset reaches us as a space: 2025-01-01T00:00:00 08:00.
_SPACED_OFFSET = re.compile(r" (\d\d:?\d\d)$")


def when(request: HttpRequest, name: str) -> datetime | None:
    """A W3C datetime (2025-01-01T00:00:00+08:00, …Z); a date alone means its midnight and a
    time without offset is Beijing time."""
    text = param(request, name)
    if text is None:
        return None
    text = _SPACED_OFFSET.sub(r"+\1", text)
    moment: datetime | None
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = datetime.combine(day, time.min) if day else None
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if moment is not None:
            # In UTC now, as the database will see it: 9999-12-31T23:00-10:00 is out of range.
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise Open311Error(400, f"{name}“{text}”无效，应为 W3C 日期时间，如 2025-01-01T00:00:00+08:00")
    return moment


def window(request: HttpRequest) -> tuple[datetime, datetime]:
    """start_date..end_date (inclusive), at most 90 days: the most recent 90 days when neither
    is given, 90 days from start_date (or up to end_date) when only one is."""
    start, end = when(request, "start_date"), when(request, "end_date")
    span = timedelta(days=conf.MAX_SPAN_DAYS)
    try:
        if start is None:
            end = end or clock.now()
            start = end - span
        elif end is None:
            end = start + span
    except OverflowError:
        raise Open311Error(400, "start_date 或 end_date 超出可用的日期范围") from None
    if end < start:
        raise Open311Error(400, "end_date 早于 start_date")
    if end - start > span:
        raise Open311Error(400, f"start_date 与 end_date 相隔不得超过 {conf.MAX_SPAN_DAYS} 天")
    return start, end


def attributes(request: HttpRequest) -> dict[str, Any]:
    """attribute[code]=value and, for multi-value lists, attribute[code][]=v1&attribute[code][]=v2."""
    out: dict[str, Any] = {}
    pattern = re.compile(r"^attribute\[([^\[\]]{1,50})\](\[\])?$")
    for key in request.POST:
        match = pattern.match(key)
        if not match:
            continue
        values = [clean(key, v.strip()) for v in request.POST.getlist(key) if v.strip()]
        if not values:
            continue
        if any(len(v) > 200 for v in values):
            raise Open311Error(400, f"{key} 的值超过 200 个字符")
        out[match.group(1)] = values if match.group(2) else values[-1]
    if len(out) > 20:
        raise Open311Error(400, "attribute 参数过多（最多 20 个）")
    return out
