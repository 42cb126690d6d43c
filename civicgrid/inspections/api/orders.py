"""/api/v1/inspections/: orders (filled by its part)."""

from ninja import Router

router = Router(tags=["inspections"])
