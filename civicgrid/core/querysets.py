"""Permissions live here, at the queryset layer (after NetBox's RestrictedQuerySet).

Every model that belongs to an area or a unit uses a RestrictedQuerySet subclass and
declares (a) which roles may do which action and (b) how a Scope narrows its rows.
Views, admin lists and API handlers call `Model.objects.restrict(user, action)` and
never filter by hand. Objects outside the scope simply do not exist for the user (404).
"""

from typing import Any, ClassVar, Self

from django.db import models
from django.db.models import Q

from .choices import Action, Role
from .scope import Scope


def user_scope(user: Any) -> Scope | None:
    """The user's scope, cached on the user object for the request; None if anonymous."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cached = getattr(user, "_civicgrid_scope", None)
    if cached is None:
        cached = user.get_scope()
        user._civicgrid_scope = cached
    return cached


class RestrictedQuerySet(models.QuerySet):
    # action -> roles allowed to take it (within their scope).
    permissions: ClassVar[dict[str, frozenset[str]]] = {}
    # Field paths used by the default scope filter.
    street_field: ClassVar[str | None] = "street"
    path_field: ClassVar[str | None] = None
    unit_field: ClassVar[str | None] = None

    def restrict(self, user: Any, action: str = Action.VIEW) -> Self:
        scope = user_scope(user)
        if scope is None:
            return self.none()
        if scope.is_global:
            return self
        if scope.role not in self.permissions.get(str(action), frozenset()):
            return self.none()
        return self.filter(self.scope_q(scope, str(action)))

    def allows(self, user: Any, action: str = Action.VIEW) -> bool:
        """Whether the user's role may take `action` on this model at all (for menus and buttons)."""
        scope = user_scope(user)
        if scope is None:
            return False
        return scope.is_global or scope.role in self.permissions.get(str(action), frozenset())

    def scope_q(self, scope: Scope, action: str) -> Q:
        """Rows inside the scope. Subclasses override for special shapes."""
        q = Q(pk__in=[])
        if self.street_field and scope.street_ids:
            if scope.area_paths is None or not self.path_field:
                q |= Q(**{f"{self.street_field}__in": scope.street_ids})
            else:
                for path in scope.area_paths:
                    q |= Q(**{f"{self.path_field}__startswith": path})
        if self.unit_field and scope.unit_ids:
            q |= Q(**{f"{self.unit_field}__in": scope.unit_ids})
        return q


STREET_READERS = frozenset(
    {Role.ADMIN, Role.DISPATCHER, Role.GRID_WORKER, Role.CADRE, Role.HANDLER, Role.LEADER}
)
REGISTRY_EDITORS = frozenset({Role.ADMIN})
REGISTRY_PERMISSIONS: dict[str, frozenset[str]] = {
    Action.VIEW: STREET_READERS,
    Action.ADD: REGISTRY_EDITORS,
    Action.CHANGE: REGISTRY_EDITORS,
    Action.DELETE: REGISTRY_EDITORS,
}
