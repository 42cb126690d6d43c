"""Who sees which sensor rows (core.querysets): the street's staff their street's, a role bound
below the street (a committee's cadre, a grid worker) the rows of its area."""

from django.db.models import Q

from civicgrid.core.choices import Action
from civicgrid.core.querysets import RestrictedQuerySet
from civicgrid.core.scope import Scope

VIEW = "sensors.view"


class DeviceTypeQuerySet(RestrictedQuerySet):
    # The types are the district's configuration: every role that reads sensors reads them all.
    permissions = {Action.VIEW: VIEW}

    def scope_q(self, scope: Scope, action: str) -> Q:
        return Q()


class DeviceQuerySet(RestrictedQuerySet):
    permissions = {Action.VIEW: VIEW, Action.ADD: "sensors.devices", Action.CHANGE: "sensors.devices"}
    path_field = "area__path"


class AlertQuerySet(RestrictedQuerySet):
    # CHANGE: the alert machine's table says who takes which step.
    permissions = {Action.VIEW: VIEW, Action.CHANGE: VIEW}
    path_field = "area__path"


class ReadingQuerySet(RestrictedQuerySet):
    permissions = {Action.VIEW: VIEW}
    street_field = "device__street"
    path_field = "device__area__path"
