"""(seam) /api/v1/insights/ endpoints of the plans part."""

from ninja import Router

router = Router(tags=["insights"])
