"""/api/v1/elections/ — ballots (filled by its part)."""

from ninja import Router

router = Router()
