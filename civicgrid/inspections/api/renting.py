"""/api/v1/inspections/: renting (filled by its part)."""

from ninja import Router

router = Router(tags=["inspections"])
