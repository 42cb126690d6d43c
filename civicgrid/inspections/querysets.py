"""Who sees which inspection rows (core.querysets). Places, tasks, inspections and orders
follow the place's grid for area-bound roles and the place's unit for its unit; an open
unannounced task (四不两直) is hidden from everyone but the holders of
inspections.unannounced and its own inspector, above all from the place's own unit."""

from django.db.models import Q

from civicgrid.core.capabilities import grants
from civicgrid.core.choices import Action
from civicgrid.core.querysets import RestrictedQuerySet
from civicgrid.core.scope import Scope

from .choices import OPEN_ORDER_STATUSES, OPEN_RENT_STATUSES, TaskStatus

VIEW = "inspections.view"


def _permissions(change: str, add: str | None = None) -> dict[str, str]:
    return {Action.VIEW: VIEW, Action.ADD: add or change, Action.CHANGE: change, Action.DELETE: change}


class PlaceQuerySet(RestrictedQuerySet):
    permissions = _permissions("inspections.manage")
    path_field = "grid__path"
    unit_field = "unit"

    def active(self) -> "PlaceQuerySet":
        return self.filter(active=True)


class ChecklistQuerySet(RestrictedQuerySet):
    permissions = _permissions("inspections.checklists")

    def current(self) -> "ChecklistQuerySet":
        return self.filter(current=True)


def hides_unannounced(scope: Scope) -> bool:
    return not grants(scope, "inspections.unannounced")


class PlanQuerySet(RestrictedQuerySet):
    permissions = _permissions("inspections.plan")

    def scope_q(self, scope: Scope, action: str) -> Q:
        q = super().scope_q(scope, action)
        if hides_unannounced(scope):
            q &= Q(unannounced=False) | Q(assignee_id=scope.user_id) | Q(unit_id__in=scope.unit_ids)
        return q


class TaskQuerySet(RestrictedQuerySet):
    permissions = _permissions("inspections.inspect", add="inspections.plan")
    path_field = "place__grid__path"
    unit_field = "unit"

    def scope_q(self, scope: Scope, action: str) -> Q:
        q = super().scope_q(scope, action)
        if hides_unannounced(scope):
            secret = Q(unannounced=True, status=TaskStatus.OPEN)
            own = Q(assignee_id=scope.user_id) | (
                Q(unit_id__in=scope.unit_ids) & ~Q(place__unit_id__in=scope.unit_ids)
            )
            q &= ~secret | own
        return q

    def open(self) -> "TaskQuerySet":
        return self.filter(status=TaskStatus.OPEN)


class InspectionQuerySet(RestrictedQuerySet):
    permissions = _permissions("inspections.inspect")
    path_field = "place__grid__path"
    unit_field = "place__unit"


class OrderQuerySet(RestrictedQuerySet):
    permissions = _permissions("inspections.inspect")
    path_field = "place__grid__path"
    unit_field = "place__unit"

    def open(self) -> "OrderQuerySet":
        return self.filter(status__in=OPEN_ORDER_STATUSES)


class RentEntryQuerySet(RestrictedQuerySet):
    permissions = _permissions("inspections.renting")
    path_field = "place__grid__path"

    def open(self) -> "RentEntryQuerySet":
        return self.filter(status__in=OPEN_RENT_STATUSES)


class FlatCheckQuerySet(RestrictedQuerySet):
    permissions = _permissions("inspections.renting")
    path_field = "flat__building__grid__path"
