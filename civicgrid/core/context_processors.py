from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .capabilities import held_by


def site(request: HttpRequest) -> dict[str, Any]:
    return {"SITE_NAME": settings.CIVICGRID_SITE_NAME}


def capabilities(request: HttpRequest) -> dict[str, Any]:
    """`caps`: the capabilities the user holds, for `{% if "cases.import" in caps %}`."""
    return {"caps": SimpleLazyObject(lambda: held_by(getattr(request, "user", None)))}
