"""/api/v1/inspections/: places (filled by its part)."""

from ninja import Router

router = Router(tags=["inspections"])
