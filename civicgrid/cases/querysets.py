from typing import Any, cast

from django.db.models import Exists, Field, OuterRef, Q
from django.db.models.expressions import RawSQL

from civicgrid.core.choices import Action, Role
from civicgrid.core.querysets import REGISTRY_PERMISSIONS, RestrictedQuerySet
from civicgrid.core.scope import Scope

CASE_PERMISSIONS: dict[str, str] = {
    # Who may act is decided per action by the workflow table; this only says who may look.
    Action.VIEW: "cases.view",
    Action.CHANGE: "cases.act",
}


def case_scope_q(scope: Scope, prefix: str = "") -> Q:
    """Cases a scope may see: by street, by area subtree (cadre, grid worker), by unit
    (handlers see cases dispatched to their unit) or by reporter (residents)."""
    from .models import Assignment

    if scope.role == Role.RESIDENT:
        return Q(**{f"{prefix}created_by_id": scope.user_id}) if scope.user_id else Q(pk__in=[])
    if scope.role == Role.HANDLER:
        case_ref = OuterRef(f"{prefix}pk") if prefix else OuterRef("pk")
        return Q(Exists(Assignment.objects.filter(case=case_ref, unit__in=scope.unit_ids)))
    q = Q(pk__in=[])
    if scope.area_paths is None:
        q |= Q(**{f"{prefix}street__in": scope.street_ids})
    else:
        for path in scope.area_paths:
            q |= Q(**{f"{prefix}grid__path__startswith": path})
            q |= Q(**{f"{prefix}residential_area__path__startswith": path})
    return q


class CaseQuerySet(RestrictedQuerySet):
    permissions = CASE_PERMISSIONS

    def scope_q(self, scope: Scope, action: str) -> Q:
        return case_scope_q(scope)

    def open(self) -> "CaseQuerySet":
        from .choices import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)


class CaseChildQuerySet(RestrictedQuerySet):
    """Rows hanging off a case (timeline, photos, callbacks…) follow the case's scope."""

    permissions = CASE_PERMISSIONS

    def scope_q(self, scope: Scope, action: str) -> Q:
        from .models import Case

        return Q(case__in=Case.objects.filter(case_scope_q(scope)).values("pk"))


class IntakeHintQuerySet(RestrictedQuerySet):
    """A pending suggestion for an imported row: the desk of its street reads it, as it reads
    the cases."""

    permissions = CASE_PERMISSIONS


class DutyRuleQuerySet(RestrictedQuerySet):
    permissions = REGISTRY_PERMISSIONS
    street_field = "area__street"


class CategoryQuerySet(RestrictedQuerySet):
    """The category tree is shared by every street: all staff read it, superusers edit it."""

    permissions = {Action.VIEW: "cases.view"}

    def scope_q(self, scope: Scope, action: str) -> Q:
        return Q()

    def linked(self) -> list[Any]:
        """The rows with their parent chains attached in memory (one query), so deadlines,
        routing and `inherited()` walk the tree without a query per step."""
        rows: list[Any] = list(self)
        by_id = {c.pk: c for c in rows}
        for c in rows:
            if c.parent_id in by_id:
                c.parent = by_id[c.parent_id]
        return rows

    def branch(self, root: Any) -> "CategoryQuerySet":
        """`root` (a category, its id or its code) and everything below it, at any depth: one
        recursive query, which stays a subquery when it filters cases (`category__in=`).
        UNION, not UNION ALL: a loop an administrator made in the tree still ends."""
        meta = self.model._meta
        table, pk = meta.db_table, meta.pk.column
        parent = cast(Field, meta.get_field("parent")).column
        if isinstance(root, str):
            anchor, value = cast(Field, meta.get_field("code")).column, root
        else:
            anchor, value = pk, getattr(root, "pk", root)
        sql = (
            f'WITH RECURSIVE branch(id) AS (SELECT "{pk}" FROM "{table}" WHERE "{anchor}" = %s '
            f'UNION SELECT c."{pk}" FROM "{table}" c JOIN branch b ON c."{parent}" = b.id) '
            "SELECT id FROM branch"
        )
        return self.filter(pk__in=RawSQL(sql, [value]))


class PatrolQuerySet(RestrictedQuerySet):
    """A grid worker sees and changes their own patrols; the desk and leaders read the patrols
    of their streets (an area-bound reader: of their area, by the patrol's grid)."""

    permissions = {Action.VIEW: "cases.patrols", Action.CHANGE: "cases.patrol"}

    def scope_q(self, scope: Scope, action: str) -> Q:
        if scope.role == Role.GRID_WORKER or action != Action.VIEW:
            return Q(worker_id=scope.user_id) if scope.user_id else Q(pk__in=[])
        if scope.area_paths is None:
            return Q(street__in=scope.street_ids)
        q = Q(pk__in=[])
        for path in scope.area_paths:
            q |= Q(grid__path__startswith=path)
        return q
