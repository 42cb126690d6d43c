"""(part proposals: its API lands here.)"""

from ninja import Router

router = Router()
