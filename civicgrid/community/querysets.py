"""Who sees which community rows (core.querysets). Every row carries its street. Staff see
their street's rows; a role bound below the street (a committee's cadre, a grid worker) sees
the rows of its residential area and the street-wide ones (no area). A resident sees their
own rows (`owner_field`) and what the street shows every resident (`resident_q`): published
activities, venues, the service catalogue, published newsletters."""

from typing import Any, ClassVar

from django.db.models import Q

from civicgrid.core.capabilities import grants
from civicgrid.core.choices import Action
from civicgrid.core.querysets import RestrictedQuerySet
from civicgrid.core.scope import Scope

from .choices import ActivityStatus, NewsletterStatus

VIEW = "community.view"
OWN_ROWS_ONLY = "community.own_rows_only"


class CommunityQuerySet(RestrictedQuerySet):
    permissions: ClassVar[dict[str, str]] = {Action.VIEW: VIEW, Action.CHANGE: VIEW}
    # The residential area a row belongs to (None: the street's rows are all street-wide).
    area_field: ClassVar[str | None] = None
    # The account whose own row it is (a resident's sign-up, booking, request).
    owner_field: ClassVar[str | None] = None
    # Rows every resident of the street reads (None: none).
    resident_q: ClassVar[Q | None] = None

    def scope_q(self, scope: Scope, action: str) -> Q:
        street = Q(**{f"{self.street_field}__in": scope.street_ids})
        if grants(scope, OWN_ROWS_ONLY):
            q = Q(pk__in=[])
            if self.owner_field and scope.user_id:
                q |= Q(**{self.owner_field: scope.user_id})
            if self.resident_q is not None and action == Action.VIEW:
                q |= street & self.resident_q
            return q
        if scope.area_paths is None or not self.area_field:
            return street
        near = Q(**{f"{self.area_field}__isnull": True}) | Q(**{f"{self.area_field}__in": scope.ancestor_ids})
        for path in scope.area_paths:
            near |= Q(**{f"{self.area_field}__path__startswith": path})
        return street & near

    def for_residents(self) -> Any:
        """What the street shows every resident (the public pages' rows)."""
        return self.filter(self.resident_q) if self.resident_q is not None else self.none()


class VenueQuerySet(CommunityQuerySet):
    permissions = {Action.VIEW: VIEW, Action.ADD: "community.venues", Action.CHANGE: "community.venues"}
    area_field = "area"
    resident_q = Q(active=True)


class ActivityQuerySet(CommunityQuerySet):
    # CHANGE: the activity machine's table says who takes which step.
    permissions = {Action.VIEW: VIEW, Action.ADD: "community.activities", Action.CHANGE: VIEW}
    area_field = "area"
    resident_q = Q(status__in=[ActivityStatus.OPEN, ActivityStatus.CLOSED, ActivityStatus.DONE])


class VenuePartQuerySet(CommunityQuerySet):
    """A venue's rooms and opening hours: public like the venue."""

    permissions = {
        Action.VIEW: VIEW,
        Action.ADD: "community.venues",
        Action.CHANGE: "community.venues",
        Action.DELETE: "community.venues",
    }
    area_field = "venue__area"
    resident_q = Q(venue__active=True)


class ActivityPartQuerySet(CommunityQuerySet):
    """Series, volunteer posts and assignments: seen with their street's activities."""

    permissions = {
        Action.VIEW: VIEW,
        Action.ADD: "community.activities",
        Action.CHANGE: "community.activities",
        Action.DELETE: "community.activities",
    }


class SignUpQuerySet(CommunityQuerySet):
    area_field = "activity__area"
    owner_field = "user"


class TeamQuerySet(CommunityQuerySet):
    permissions = {
        Action.VIEW: VIEW,
        Action.ADD: "community.volunteers",
        Action.CHANGE: "community.volunteers",
    }


class VolunteerQuerySet(CommunityQuerySet):
    """Volunteers; a resident who volunteers reads their own record."""

    permissions = {Action.VIEW: VIEW, Action.ADD: "community.volunteers", Action.CHANGE: VIEW}
    owner_field = "user"


class VolunteerPartQuerySet(CommunityQuerySet):
    """The hours ledger: read with the volunteer, written only by the volunteer machine."""

    owner_field = "volunteer__user"


class ServiceQuerySet(CommunityQuerySet):
    """The centre, its windows, items and slots: the catalogue every resident reads."""

    permissions = {Action.VIEW: VIEW, Action.ADD: "community.service", Action.CHANGE: "community.service"}
    resident_q = Q(pk__isnull=False)


class LeaveQuerySet(CommunityQuerySet):
    permissions = {Action.VIEW: VIEW, Action.ADD: "community.service", Action.CHANGE: "community.service"}

    def scope_q(self, scope: Scope, action: str) -> Q:
        return Q(pk__in=[]) if grants(scope, OWN_ROWS_ONLY) else super().scope_q(scope, action)


class AppointmentQuerySet(CommunityQuerySet):
    """The street's appointments are the desk's and the street's staff's; a role bound below the
    street (a cadre who booked for a caller) sees the ones they made, a resident their own."""

    owner_field = "user"

    def scope_q(self, scope: Scope, action: str) -> Q:
        q = super().scope_q(scope, action)
        if scope.area_paths is not None and not grants(scope, OWN_ROWS_ONLY):
            return q & Q(created_by_id=scope.user_id)
        return q


class HomeServiceQuerySet(CommunityQuerySet):
    area_field = "area"
    owner_field = "user"


class NewsletterQuerySet(CommunityQuerySet):
    permissions = {Action.VIEW: VIEW, Action.ADD: "community.newsletter", Action.CHANGE: VIEW}
    resident_q = Q(status=NewsletterStatus.PUBLISHED)


class NewsletterPartQuerySet(CommunityQuerySet):
    permissions = {
        Action.VIEW: VIEW,
        Action.ADD: "community.newsletter",
        Action.CHANGE: "community.newsletter",
    }
    resident_q = Q(newsletter__status=NewsletterStatus.PUBLISHED)
