"""Who sees which programmes rows (core.querysets). Every row carries its street: the street's
staff see their street's projects, welfare projects and proposals; a handling unit also sees
the projects it owns and the proposals assigned to it (its unit); a member unit is seen in
every street it serves."""

from typing import Any

from django.db.models import Q

from civicgrid.core.capabilities import grants
from civicgrid.core.choices import Action
from civicgrid.core.querysets import RestrictedQuerySet
from civicgrid.core.scope import Scope

VIEW = "programmes.view"
UNIT_ONLY = "programmes.own_unit_only"


class ProgrammeQuerySet(RestrictedQuerySet):
    """The street's rows; for a role bound to its unit (UNIT_ONLY) only those of its units
    (`unit_field`), none where the rows have no unit."""

    def scope_q(self, scope: Scope, action: str) -> Q:
        if grants(scope, UNIT_ONLY):
            if not self.unit_field or not scope.unit_ids:
                return Q(pk__in=[])
            return Q(**{f"{self.unit_field}__in": scope.unit_ids})
        return super().scope_q(scope, action)


class ProjectQuerySet(ProgrammeQuerySet):
    # CHANGE: the machines' tables say who takes which step.
    permissions = {Action.VIEW: VIEW, Action.ADD: "programmes.projects", Action.CHANGE: VIEW}
    unit_field = "owner_unit"


class ProjectPartQuerySet(ProgrammeQuerySet):
    """Targets, milestones, progress reports and case links: rows of one project, seen with it."""

    permissions = {
        Action.VIEW: VIEW,
        Action.ADD: VIEW,
        Action.CHANGE: VIEW,
        Action.DELETE: "programmes.projects",
    }
    unit_field = "project__owner_unit"


class MemberUnitQuerySet(ProgrammeQuerySet):
    permissions = {Action.VIEW: VIEW, Action.ADD: "programmes.welfare", Action.CHANGE: "programmes.welfare"}

    def scope_q(self, scope: Scope, action: str) -> Q:
        # The streets it serves (a many-to-many): a subquery, so no row is listed twice.
        if grants(scope, UNIT_ONLY) or not scope.street_ids:
            return Q(pk__in=[])
        through: Any = self.model._meta.get_field("streets").remote_field.through  # type: ignore[union-attr]
        served = through.objects.filter(area_id__in=scope.street_ids)
        return Q(pk__in=served.values("memberunit_id"))


class WelfareQuerySet(ProgrammeQuerySet):
    """Welfare projects, their asks and claims."""

    permissions = {Action.VIEW: VIEW, Action.ADD: "programmes.welfare", Action.CHANGE: VIEW}


class ProposalQuerySet(ProgrammeQuerySet):
    permissions = {Action.VIEW: VIEW, Action.ADD: "programmes.proposals", Action.CHANGE: VIEW}
    unit_field = "assigned_unit"


class SessionQuerySet(ProgrammeQuerySet):
    """Sessions, representatives and evaluations: the street's representatives' meeting."""

    permissions = {Action.VIEW: VIEW, Action.ADD: "programmes.proposals", Action.CHANGE: VIEW}


class EvaluationPartQuerySet(ProgrammeQuerySet):
    """An evaluation's subjects, voters and counts. Its voters (who has voted, never how) only
    the office reads."""

    permissions = {Action.VIEW: VIEW, Action.CHANGE: "programmes.evaluations"}
