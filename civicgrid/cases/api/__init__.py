"""The work-order endpoints of /api/v1/, one module per resource (shapes in cases.schemas,
list parameters in `filters`, the shared serialisers and look-ups in `common`).

Reads go through `Case.objects.restrict(user, "view")`; every write goes through
cases.actions, whose errors (cases.errors) the API maps to HTTP codes and one error shape
(civicgrid.api.errors). Nothing here decides who may do what.

Lists use the pagination of core.pagination; the case detail answers with an ETag (core.rest)
and honours If-None-Match (304); actions and the photo upload honour If-Match (412).
"""

from ninja import Router

from civicgrid.core.rest import READ_ERRORS

from . import actions, cases, categories, metrics, notifications, photos
from .metrics import metrics_payload

# One router for civicgrid.api to mount; each resource module keeps its own.
router = Router()
for part in (cases, actions, photos, categories, notifications, metrics):
    router.add_router("", part.router)

__all__ = ["READ_ERRORS", "metrics_payload", "router"]
