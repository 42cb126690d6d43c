"""/api/v1/elections/ — voters (filled by its part)."""

from ninja import Router

router = Router()
