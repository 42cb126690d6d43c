"""Who sees which election rows (core.querysets). A round belongs to its street; an election
and everything filed in it also to its committee's area, so a cadre sees only their own
committee's election while the street's election office and leaders see all of them."""

from civicgrid.core.choices import Action
from civicgrid.core.querysets import RestrictedQuerySet

VIEW, MANAGE, CONDUCT = "elections.view", "elections.manage", "elections.conduct"


class RoundQuerySet(RestrictedQuerySet):
    permissions = {Action.VIEW: VIEW, Action.ADD: MANAGE, Action.CHANGE: MANAGE, Action.DELETE: MANAGE}


class RoundPartQuerySet(RestrictedQuerySet):
    """Rows of the round itself (its rule overrides): seen with the round, kept by the office.
    No election to narrow by, so a cadre sees them like the round (their street's)."""

    permissions = RoundQuerySet.permissions


class ElectionQuerySet(RestrictedQuerySet):
    # CHANGE: the machine's table says who takes which step.
    permissions = {Action.VIEW: VIEW, Action.ADD: MANAGE, Action.CHANGE: VIEW, Action.DELETE: MANAGE}
    path_field = "area__path"


class ElectionPartQuerySet(RestrictedQuerySet):
    """Voters, groups, objections, candidates, boxes, counts, milestones: rows of one election."""

    permissions = {Action.VIEW: VIEW, Action.ADD: CONDUCT, Action.CHANGE: CONDUCT, Action.DELETE: CONDUCT}
    path_field = "election__area__path"
