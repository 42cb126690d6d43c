"""(seam) /api/v1/insights/ endpoints of the reports part."""

from ninja import Router

router = Router(tags=["insights"])
