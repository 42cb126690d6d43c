"""/api/v1/elections/ — statistics (filled by its part)."""

from ninja import Router

router = Router()
