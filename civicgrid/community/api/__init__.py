"""/api/v1/community/ (mounted by civicgrid.api): one router module per part."""

from ninja import Router

from . import activities, newsletter, service, volunteers

router = Router(tags=["community"])
for part in (activities, volunteers, service, newsletter):
    router.add_router("", part.router)
