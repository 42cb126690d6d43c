"""/api/v1/inspections/: records (filled by its part)."""

from ninja import Router

router = Router(tags=["inspections"])
