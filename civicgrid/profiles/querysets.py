from civicgrid.core.querysets import REGISTRY_PERMISSIONS, RestrictedQuerySet


class AreaProfileQuerySet(RestrictedQuerySet):
    """A street's administrators change their street's profile; district rows (no street)
    are for superusers only."""

    permissions = REGISTRY_PERMISSIONS
    street_field = "street"
