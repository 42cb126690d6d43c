"""Where the inspector's phone was when checking a place: the distance from the place, and
whether it is beyond the street's `inspections.checkin_far_m` (flagged, never refused). The
inspection records and the order re-checks both use it."""

from typing import Any

from civicgrid.cases.duplicates import distance_m
from civicgrid.core import profile

FAR_KEY = "inspections.checkin_far_m"


def distance_from(place: Any, lon: float | None, lat: float | None) -> int | None:
    """Metres from the place to the phone's position (None when either is unknown)."""
    if lon is None or lat is None or place.lon is None or place.lat is None:
        return None
    return round(distance_m(lon, lat, place.lon, place.lat))


def beyond(distance: float | None, street_id: int | None) -> bool:
    return distance is not None and distance > int(profile.value(FAR_KEY, street_id))
