"""Choices of the accounts app."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The API apps a scope can name (`<app>:read` / `<app>:write`).
API_APPS = (
    "cases",
    "geo",
    "orgs",
    "insights",
    "open311",
    "webhooks",
    "residents",
    "inspections",
    "elections",
    "programmes",
    "community",
    "sensors",
)


class ApiScope(models.TextChoices):
    """What an API token may do. `read`/`write` cover every API app; `<app>:…` one app.
    Write implies read. `personal:read` (never implied by another scope) lets a key whose
    account may reveal personal data read the personal data residents type into free text
    in full where the key's answers would mask it (Open311 descriptions; each read logged)."""

    READ = "read", _("全部接口：只读")
    WRITE = "write", _("全部接口：读写")
    CASES_READ = "cases:read", _("事件：只读")
    CASES_WRITE = "cases:write", _("事件：读写")
    GEO_READ = "geo:read", _("区域与网格：只读")
    GEO_WRITE = "geo:write", _("区域与网格：读写")
    ORGS_READ = "orgs:read", _("单位：只读")
    ORGS_WRITE = "orgs:write", _("单位：读写")
    INSIGHTS_READ = "insights:read", _("统计分析：只读")
    INSIGHTS_WRITE = "insights:write", _("统计分析：读写")
    OPEN311_READ = "open311:read", _("Open311：只读")
    OPEN311_WRITE = "open311:write", _("Open311：读写")
    WEBHOOKS_READ = "webhooks:read", _("Webhook：只读")
    WEBHOOKS_WRITE = "webhooks:write", _("Webhook：读写")
    RESIDENTS_READ = "residents:read", _("实有人口：只读")
    RESIDENTS_WRITE = "residents:write", _("实有人口：读写")
    INSPECTIONS_READ = "inspections:read", _("安全检查：只读")
    INSPECTIONS_WRITE = "inspections:write", _("安全检查：读写")
    ELECTIONS_READ = "elections:read", _("换届选举：只读")
    ELECTIONS_WRITE = "elections:write", _("换届选举：读写")
    PROGRAMMES_READ = "programmes:read", _("实事项目与民主参与：只读")
    PROGRAMMES_WRITE = "programmes:write", _("实事项目与民主参与：读写")
    COMMUNITY_READ = "community:read", _("社区生活与为民服务：只读")
    COMMUNITY_WRITE = "community:write", _("社区生活与为民服务：读写")
    SENSORS_READ = "sensors:read", _("物联感知：只读")
    SENSORS_WRITE = "sensors:write", _("物联感知：读写（网关上报读数）")
    PERSONAL_READ = "personal:read", _("个人信息：读取未打码的诉求内容（留痕）")


DEFAULT_SCOPES = [ApiScope.READ.value]


class ScopeError(ValueError):
    """A scope string outside the grammar (`read`, `write`, `<app>:read`, `<app>:write`)."""


def normalize_scopes(scopes: object) -> list[str]:
    """Validated, de-duplicated scopes in choices order (ScopeError if any is unknown)."""
    if isinstance(scopes, str) or not isinstance(scopes, (list, tuple, set, frozenset)):
        raise ScopeError("权限范围须为字符串列表")
    if not all(isinstance(s, str) for s in scopes):
        raise ScopeError("权限范围须为字符串列表")
    wanted = {s.strip() for s in scopes if s.strip()}
    unknown = sorted(wanted - set(ApiScope.values))
    if unknown:
        raise ScopeError("未知的权限范围：" + "、".join(unknown))
    if not wanted:
        raise ScopeError("至少需要一个权限范围")
    return [s for s in ApiScope.values if s in wanted]
