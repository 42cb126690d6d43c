from collections.abc import Iterable

from django.contrib.auth.models import UserManager
from django.db.models import Exists, OuterRef, Q

from civicgrid.core.choices import Action
from civicgrid.core.querysets import RestrictedQuerySet
from civicgrid.core.scope import Scope

ACCOUNT_PERMISSIONS: dict[str, str] = {
    Action.VIEW: "accounts.view_accounts",
    Action.ADD: "accounts.manage_accounts",
    Action.CHANGE: "accounts.manage_accounts",
    Action.DELETE: "accounts.manage_accounts",
}


def membership_in_scope(scope: Scope, prefix: str = "") -> Q:
    return Q(**{f"{prefix}area__street__in": scope.street_ids}) | Q(
        **{f"{prefix}unit__street__in": scope.street_ids}
    )


class MembershipQuerySet(RestrictedQuerySet):
    permissions = ACCOUNT_PERMISSIONS

    def scope_q(self, scope: Scope, action: str) -> Q:
        return membership_in_scope(scope)


class UserQuerySet(RestrictedQuerySet):
    """A street administrator manages the accounts bound to their street."""

    permissions = ACCOUNT_PERMISSIONS

    def scope_q(self, scope: Scope, action: str) -> Q:
        from .models import Membership

        inside = Membership.objects.filter(user=OuterRef("pk")).filter(membership_in_scope(scope))
        q = Exists(inside)
        if action != Action.VIEW:
            # Never let a street admin edit someone who also works elsewhere, or a superuser.
            outside = Membership.objects.filter(user=OuterRef("pk")).exclude(membership_in_scope(scope))
            return Q(q) & ~Q(Exists(outside)) & Q(is_superuser=False)
        return Q(q)

    def working_in(self, street_id: int, roles: Iterable[str]) -> "UserQuerySet":
        """The active accounts of these roles that belong to the street: a membership of the
        street itself or of an area in it (whom a street's notices go to)."""
        rows = self.filter(
            Q(memberships__area_id=street_id) | Q(memberships__area__street_id=street_id),
            is_active=True,
            role__in=list(roles),
        )
        return rows.distinct()


class CivicUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass
