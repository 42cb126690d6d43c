"""Permissions live here, at the queryset layer (after NetBox's RestrictedQuerySet).

Every model that belongs to an area or a unit uses a RestrictedQuerySet subclass and
declares (a) which capability (core.capabilities) each action needs and (b) how a Scope
narrows its rows. Views, admin lists and API handlers call
`Model.objects.restrict(user, action)` and never filter by hand. Objects outside the scope
simply do not exist for the user (404).
"""

from typing import Any, ClassVar, Self

from django.db import models
from django.db.models import Q

from .capabilities import grants
from .choices import Action
from .scope import Scope, user_scope

__all__ = ["REGISTRY_PERMISSIONS", "RestrictedQuerySet", "user_scope"]


class RestrictedQuerySet(models.QuerySet):
    # action -> the capability a role needs to take it (within its scope); an action not
    # listed is for global users only.
    permissions: ClassVar[dict[str, str]] = {}
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
        if not self.allows(user, action):
            return self.none()
        return self.filter(self.scope_q(scope, str(action)))

    def allows(self, user: Any, action: str = Action.VIEW) -> bool:
        """Whether the user's role may take `action` on this model at all (for menus and buttons)."""
        scope = user_scope(user)
        name = self.permissions.get(str(action))
        return scope is not None and (scope.is_global or (name is not None and grants(scope, name)))

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


# The street registry (areas, buildings, layers, units, duty rules): staff read it, street
# administrators keep it.
REGISTRY_PERMISSIONS: dict[str, str] = {
    Action.VIEW: "core.read_registry",
    Action.ADD: "core.edit_registry",
    Action.CHANGE: "core.edit_registry",
    Action.DELETE: "core.edit_registry",
}
