"""/api/v1/elections/ — rounds (filled by its part)."""

from ninja import Router

router = Router()
