"""Who sees which insights rows (core.querysets): plans, topic runs and reports belong to a
street; a handling unit also sees the plans it owns (and reports on them)."""

from django.db.models import Q

from civicgrid.core.capabilities import grants
from civicgrid.core.choices import Action
from civicgrid.core.querysets import RestrictedQuerySet
from civicgrid.core.scope import Scope


class GovernancePlanQuerySet(RestrictedQuerySet):
    permissions = {
        Action.VIEW: "insights.plans.view",
        Action.ADD: "insights.plans.manage",
        Action.CHANGE: "insights.plans.view",  # the machine's table says who takes which step
        Action.DELETE: "insights.plans.manage",
    }
    unit_field = "owner_unit"

    def scope_q(self, scope: Scope, action: str) -> Q:
        if grants(scope, "insights.plans.manage") and scope.area_paths is None:
            return super().scope_q(scope, action)
        # A handling unit: only the plans it owns.
        return Q(owner_unit_id__in=scope.unit_ids)


class StreetOwnedQuerySet(RestrictedQuerySet):
    """Rows of whole streets (topic runs, reports): read by street-wide roles."""

    permissions = {Action.VIEW: "insights.dashboard", Action.ADD: "insights.dashboard"}

    def scope_q(self, scope: Scope, action: str) -> Q:
        if scope.area_paths is not None:
            return Q(pk__in=[])
        return Q(street_id__in=scope.street_ids)
