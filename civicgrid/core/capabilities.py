"""One registry of capabilities: what a role may do, named once.

Each app declares its capabilities in its own `capabilities.py` (found by
`autodiscover_modules` when core is ready), e.g.

    define("cases.import", {Role.DISPATCHER, Role.ADMIN}, _("导入 12345 工单"))

and every view, template, API handler and workflow table asks `may(user, "cases.import")`
instead of keeping a role set of its own. Global users (superusers) hold every capability.
Scope (which streets, which units) stays with `restrict()`: a capability says *whether* a
role may do a thing at all, the queryset says *on which rows*.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .querysets import user_scope


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


def may(user: Any, name: str) -> bool:
    """Whether `user` holds the capability `name` (anonymous users hold none)."""
    cap = get(name)
    scope = user_scope(user)
    if scope is None:
        return False
    return scope.is_global or scope.role in cap.roles


def held_by(user: Any) -> frozenset[str]:
    """Every capability `user` holds (templates ask `caps` for it, see context_processors)."""
    return frozenset(name for name in _registry if may(user, name))


def all_capabilities() -> list[Capability]:
    return sorted(_registry.values(), key=lambda c: c.name)
