"""One registry of capabilities: what a role may do, named once.

Each app declares its capabilities in its own `capabilities.py` (found by
`autodiscover_modules` when core is ready), e.g.

    define("cases.import", {Role.DISPATCHER, Role.ADMIN}, _("导入 12345 工单"))

and every view, template (`caps`, core.context_processors), API handler, queryset
(`RestrictedQuerySet.permissions` maps actions to capability names) and workflow table asks
`may(user, "cases.import")` instead of keeping a role set of its own. Global users
(superusers) hold every capability. Scope (which streets, which units) stays with
`restrict()`: a capability says *whether* a role may do a thing at all, the queryset says
*on which rows*.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .choices import Role
from .scope import Scope, user_scope


@dataclass(frozen=True)
class Capability:
    name: str  # "<app>.<verb>"
    roles: frozenset[str]
    label: str = ""


_registry: dict[str, Capability] = {}


class UnknownCapability(KeyError):
    pass


def define(name: str, roles: Iterable[str], label: Any = "") -> Capability:
    """Declare a capability once; declaring the same name again with other roles is an error."""
    cap = Capability(name, frozenset(str(r) for r in roles), label)
    unknown = cap.roles - set(Role.values)
    if unknown:
        raise ValueError(f"capability {name!r} names unknown roles {sorted(unknown)}")
    known = _registry.get(name)
    if known is not None and known.roles != cap.roles:
        raise ValueError(f"capability {name!r} is already defined with roles {sorted(known.roles)}")
    _registry[name] = cap
    return cap


def get(name: str) -> Capability:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownCapability(f"no capability {name!r} is defined (see <app>/capabilities.py)") from None


def roles(name: str) -> frozenset[str]:
    """The roles that hold `name`."""
    return get(name).roles


def grants(scope: Scope | None, name: str) -> bool:
    """Whether a scope holds `name` (for callers that already have the scope, e.g. restrict())."""
    cap = get(name)
    return scope is not None and (scope.is_global or scope.role in cap.roles)


def may(user: Any, name: str) -> bool:
    """Whether `user` holds the capability `name` (anonymous and inactive users hold none)."""
    return grants(user_scope(user), name)


def require(user: Any, name: str) -> None:
    """For pages: a role without the capability gets 404, as for objects outside its scope
    (a page a role has no use for does not exist for it)."""
    if not may(user, name):
        from django.http import Http404

        raise Http404(_("页面不存在"))


def held_by(user: Any) -> frozenset[str]:
    """Every capability `user` holds (templates ask `caps` for it, see context_processors)."""
    scope = user_scope(user)
    return frozenset(name for name in _registry if grants(scope, name))


def all_capabilities() -> list[Capability]:
    return sorted(_registry.values(), key=lambda c: c.name)


# ------------------------------------------------------------------ core's own capabilities
# (autodiscovery imports each app's capabilities.py; for core that is this module.)

STAFF = frozenset(Role.values) - {Role.RESIDENT}

define("core.read_registry", STAFF, _("查看登记数据（区域、楼栋、单位、派单规则）"))
define("core.edit_registry", {Role.ADMIN}, _("维护本街道的登记数据"))
# Dispatchers look cases and the duty table up there, leaders read the audit trail; field
# roles (grid workers, cadres, handlers) have pages of their own and nothing to do there.
define("core.admin_site", {Role.ADMIN, Role.DISPATCHER, Role.LEADER}, _("使用管理后台"))
define("core.audit_log", {Role.ADMIN, Role.LEADER}, _("查看本街道的审计日志和个人信息查看记录"))
define("core.edit_calendar", {Role.ADMIN}, _("维护节假日安排"))
define("core.jobs", STAFF, _("后台任务"))
define("core.inbox", Role.values, _("消息"))
# The desk calls reporters back; it also sees the name of a reporter who asked to stay
# anonymous to everyone else (privacy.reporter_view).
define("privacy.reveal_phone", {Role.DISPATCHER, Role.ADMIN}, _("查看诉求人完整电话号码"))
# Any other personal field (core.personal.PersonalDataField without a capability of its own).
define("privacy.reveal_personal", {Role.ADMIN}, _("查看完整的个人信息"))
