"""The open311 app's settings, each overridable in settings.py (CIVICGRID_OPEN311_*). The
private categories are per street (profile_settings.py)."""

from typing import Any

from django.conf import settings

# The spec's limits for GET requests: at most this many days between start_date and
# end_date, at most this many requests per answer.
MAX_SPAN_DAYS = 90
MAX_RESULTS = 1000


def _get(name: str, default: Any) -> Any:
    return getattr(settings, f"CIVICGRID_OPEN311_{name}", default)


def contact() -> str:
    return str(_get("CONTACT", "如需帮助，请联系所在街道城运中心（城市运行管理中心）。"))


def key_service() -> str:
    return str(
        _get(
            "KEY_SERVICE",
            "API 令牌（api_key）由街道管理员在“外部系统接入”中签发，提交诉求需要 open311:write 权限范围。",
        )
    )
