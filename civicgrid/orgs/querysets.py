from django.db.models import Q

from civicgrid.core.querysets import REGISTRY_PERMISSIONS, RestrictedQuerySet
from civicgrid.core.scope import Scope


class UnitQuerySet(RestrictedQuerySet):
    permissions = REGISTRY_PERMISSIONS
    street_field = "street"
    unit_field = "pk"

    def scope_q(self, scope: Scope, action: str) -> Q:
        q = Q(street__in=scope.street_ids) | Q(pk__in=scope.unit_ids)
        if action == "view" and scope.district_ids:
            # District-level units (utilities, …) serve several streets: readable, not editable.
            q |= Q(street__isnull=True, district__in=scope.district_ids)
        return q
