"""The grid worker's GPS check-in on site (核查签到): where the phone was when the case was
verified, and how far that is from the case. The parameters are declared once here and named
by both verification transitions (cases/workflow.py), so the phone form, the API schema and
the validation agree; a check-in far from the case is accepted but flagged, beyond the
street's `cases.checkin_far_m`."""

from collections.abc import Mapping
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from civicgrid.core import profile
from civicgrid.core.params import Kind, Param
from civicgrid.core.workflow import Guard

from .duplicates import distance_m


def coordinates(prefix: str, label: Any, *, required: bool = False) -> tuple[Param, Param, Param]:
    """Longitude, latitude and accuracy (metres) of a position the browser measured; the form
    carries them hidden, the page's script fills them (cases.js)."""
    return (
        Param(
            f"{prefix}lon",
            format_lazy(_("{what}经度"), what=label),
            Kind.FLOAT,
            required,
            min_value=-180,
            max_value=180,
            hidden=True,
        ),
        Param(
            f"{prefix}lat",
            format_lazy(_("{what}纬度"), what=label),
            Kind.FLOAT,
            required,
            min_value=-90,
            max_value=90,
            hidden=True,
        ),
        Param(
            f"{prefix}accuracy",
            format_lazy(_("{what}定位精度（米）"), what=label),
            Kind.FLOAT,
            min_value=0,
            max_value=100_000,
            hidden=True,
        ),
    )


PARAMS = coordinates("checkin_", _("签到"))


def _both_or_neither(case: Any, user: Any, params: Mapping[str, Any] | None) -> bool:
    return params is None or (params.get("checkin_lon") is None) == (params.get("checkin_lat") is None)


# A position needs both coordinates; a half one is a client error, not "no check-in".
GUARDS = (
    Guard(
        _both_or_neither,
        _("签到位置须同时包含经度和纬度"),
        on_params=True,
        field="checkin_lat",
        code="required",
    ),
)


def record(
    case: Any, lon: float | None, lat: float | None, accuracy: float | None = None
) -> dict[str, Any] | None:
    """The check-in as the timeline row keeps it (None without a position): the position, its
    accuracy, the distance from the case (None when the case has no position) and whether it
    is beyond the street's limit."""
    if lon is None or lat is None:
        return None
    limit = profile.value("cases.checkin_far_m", case.street_id)
    distance = (
        None if case.lon is None or case.lat is None else round(distance_m(lon, lat, case.lon, case.lat))
    )
    return {
        "lon": round(lon, 6),
        "lat": round(lat, 6),
        "accuracy_m": None if accuracy is None else round(accuracy),
        "distance_m": distance,
        "limit_m": limit,
        "far": distance is not None and distance > limit,
    }
