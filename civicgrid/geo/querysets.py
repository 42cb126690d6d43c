from django.db.models import Q

from civicgrid.core.querysets import REGISTRY_PERMISSIONS, RestrictedQuerySet
from civicgrid.core.scope import Scope


class AreaQuerySet(RestrictedQuerySet):
    permissions = REGISTRY_PERMISSIONS
    street_field = "street"
    path_field = "path"

    def scope_q(self, scope: Scope, action: str) -> Q:
        q = super().scope_q(scope, action)
        if action == "view" and scope.ancestor_ids:
            # The street (and district) above a cadre's area stay readable for navigation.
            q |= Q(pk__in=scope.ancestor_ids)
        return q

    def streets(self) -> "AreaQuerySet":
        return self.filter(kind="street")

    def grids(self) -> "AreaQuerySet":
        return self.filter(kind="grid")


class GridLayerQuerySet(RestrictedQuerySet):
    permissions = REGISTRY_PERMISSIONS
    street_field = "street"


class BuildingQuerySet(RestrictedQuerySet):
    permissions = REGISTRY_PERMISSIONS
    street_field = "street"
    path_field = "grid__path"
