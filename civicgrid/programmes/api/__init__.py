"""/api/v1/programmes/ (mounted by civicgrid.api): one router module per part."""

from ninja import Router

from . import evaluations, projects, proposals, welfare

router = Router(tags=["programmes"])
for part in (projects, welfare, proposals, evaluations):
    router.add_router("", part.router)
