"""Public functions of the geo app, for other apps and commands."""

from civicgrid.core.address import lane_of, normalize_address

from .index import Location, PlaceRef, locate, locate_many
from .models import Building

__all__ = ["Location", "PlaceRef", "find_building", "locate", "locate_many"]


def find_building(address: str, street_id: int | None = None) -> Building | None:
    """The building at a free-typed address (normalised), else its lane entry (弄), else None.
    An address that exists in several streets is ambiguous without `street_id`: None."""
    normalized = normalize_address(address)
    if not normalized:
        return None
    qs = Building.objects.all()
    if street_id is not None:
        qs = qs.filter(street_id=street_id)
    for candidate in (normalized, lane_of(normalized)):
        if not candidate:
            continue
        matches = list(qs.filter(normalized_address=candidate)[:2])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            return None
    return None
