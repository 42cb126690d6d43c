"""/api/v1/inspections/: plans (filled by its part)."""

from ninja import Router

router = Router(tags=["inspections"])
