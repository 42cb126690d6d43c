"""Who sees which rows of the registry (core.querysets). A cadre or grid worker sees the
households of the buildings of their area (the building's grid path, as geo.Building);
sensitive care tags are kept out of the rows of roles without their capability."""

from django.db.models import Q

from civicgrid.core.capabilities import grants
from civicgrid.core.choices import Action
from civicgrid.core.querysets import RestrictedQuerySet
from civicgrid.core.scope import Scope

REGISTRY: dict[str, str] = {
    Action.VIEW: "residents.view",
    Action.ADD: "residents.edit",
    Action.CHANGE: "residents.edit",
    Action.DELETE: "residents.edit",
}


class FlatQuerySet(RestrictedQuerySet):
    permissions = REGISTRY
    path_field = "building__grid__path"


class HouseholdQuerySet(RestrictedQuerySet):
    permissions = REGISTRY
    path_field = "flat__building__grid__path"

    def current(self) -> "HouseholdQuerySet":
        return self.filter(moved_out__isnull=True)


class PersonQuerySet(RestrictedQuerySet):
    permissions = REGISTRY
    path_field = "household__flat__building__grid__path"

    def current(self) -> "PersonQuerySet":
        """Those living in a household of the registry now (not moved out, not deceased)."""
        return self.filter(household__isnull=False).exclude(residence="deceased")


class ResidenceQuerySet(RestrictedQuerySet):
    permissions = REGISTRY
    path_field = "household__flat__building__grid__path"


class LocalCareKindQuerySet(RestrictedQuerySet):
    permissions = {
        Action.VIEW: "residents.care_tags",
        Action.ADD: "residents.edit",
        Action.CHANGE: "residents.edit",
        Action.DELETE: "residents.edit",
    }


class CareTagQuerySet(RestrictedQuerySet):
    permissions = {
        Action.VIEW: "residents.care_tags",
        Action.ADD: "residents.edit",
        Action.CHANGE: "residents.edit",
        Action.DELETE: "residents.edit",
    }
    path_field = "person__household__flat__building__grid__path"

    def scope_q(self, scope: Scope, action: str) -> Q:
        from .care import hidden_kinds

        q = super().scope_q(scope, action)
        hidden = hidden_kinds(scope)
        return q & ~Q(kind__in=hidden) if hidden else q

    def active(self, on) -> "CareTagQuerySet":  # type: ignore[no-untyped-def]
        """Tags in force on the day `on`."""
        return self.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))


class VisitQuerySet(RestrictedQuerySet):
    permissions = {
        Action.VIEW: "residents.visits",
        Action.ADD: "residents.visit",
        Action.CHANGE: "residents.visit",
    }
    path_field = "household__flat__building__grid__path"


class ExamRoundQuerySet(RestrictedQuerySet):
    permissions = {
        Action.VIEW: "residents.exam_results",
        Action.ADD: "residents.examine",
        Action.CHANGE: "residents.examine",
    }

    def scope_q(self, scope: Scope, action: str) -> Q:
        if grants(scope, "residents.examine"):
            return Q(street__in=scope.street_ids)
        from .models import Exam

        # A cadre sees the rounds they sat.
        return Q(
            street__in=scope.street_ids, pk__in=Exam.objects.filter(cadre_id=scope.user_id).values("round_id")
        )


class ExamQuerySet(RestrictedQuerySet):
    permissions = {
        Action.VIEW: "residents.exam_results",
        Action.ADD: "residents.examine",
        Action.CHANGE: "residents.exam_results",
    }

    def scope_q(self, scope: Scope, action: str) -> Q:
        if grants(scope, "residents.examine"):
            return Q(street__in=scope.street_ids)
        return Q(street__in=scope.street_ids, cadre_id=scope.user_id)
