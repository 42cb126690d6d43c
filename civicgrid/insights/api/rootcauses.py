"""(seam) /api/v1/insights/ endpoints of the rootcauses part."""

from ninja import Router

router = Router(tags=["insights"])
