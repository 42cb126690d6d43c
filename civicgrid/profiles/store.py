"""Where core.profile reads the overrides from: the area's own row, then its parent's."""

from django.db.models import Q

from civicgrid.core.profile import Layers
from civicgrid.geo.models import Area


def layers(area_id: int) -> Layers:
    """The layers of `area_id` (a street: the street, then its district), most specific first,
    each named by its area's kind and empty when it has no row (one query)."""
    parent = Area.objects.filter(pk=area_id).values("parent_id")
    rows = Area.objects.filter(Q(pk=area_id) | Q(pk__in=parent)).values_list("pk", "kind", "profile__values")
    found = sorted(rows, key=lambda row: row[0] != area_id)
    return [(kind, values or {}) for _pk, kind, values in found]
