"""(seam) /api/v1/insights/ endpoints of the dashboard part."""

from ninja import Router

router = Router(tags=["insights"])
