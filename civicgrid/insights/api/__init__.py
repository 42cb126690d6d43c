"""/api/v1/insights/ (mounted by civicgrid.api): one router module per part."""

from ninja import Router

from . import dashboard, metrics, plans, reports, rootcauses

router = Router(tags=["insights"])
for part in (metrics, dashboard, rootcauses, plans, reports):
    router.add_router("", part.router)
