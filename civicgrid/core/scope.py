"""What a user may see: the streets, area subtrees and units they belong to.

The accounts app builds a Scope from a user's role and memberships (`User.get_scope()`);
core only knows its shape, so every app can filter by it without importing accounts.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Scope:
    role: str
    # Streets (Area ids) the user works in.
    street_ids: frozenset[int] = field(default_factory=frozenset)
    # Narrower area subtrees (materialised paths) for roles bound below street level;
    # None means "the whole of each street".
    area_paths: tuple[str, ...] | None = None
    # Ancestors of the user's areas: readable for navigation, never changeable.
    ancestor_ids: frozenset[int] = field(default_factory=frozenset)
    # Districts above the user's streets: district-level shared units are readable.
    district_ids: frozenset[int] = field(default_factory=frozenset)
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    is_global: bool = False
    # The account itself, for objects a user owns (a resident's own reports).
    user_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return not self.is_global and not self.street_ids and not self.unit_ids


def user_scope(user: Any) -> Scope | None:
    """The user's scope, cached on the user object for the request; None if anonymous or inactive.

    The one cache of a scope: `User.scope`, `may()` and `restrict()` all read it here."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cached = getattr(user, "_civicgrid_scope", None)
    if cached is None:
        cached = user.get_scope()
        user._civicgrid_scope = cached
    return cached


def forget_scope(user: Any) -> None:
    """Drop the cached scope once the user's role or memberships changed."""
    user.__dict__.pop("_civicgrid_scope", None)
