"""The endpoints of inspections under /api/v1/inspections/ (token scope `inspections`), one
module per family: places and checklists, plans and tasks, inspection records, orders, the
group-renting register. Reads go through `restrict()`; writes through inspections.actions."""

from ninja import Router

from . import orders, places, plans, records, renting

router = Router()
for part in (places, plans, records, orders, renting):
    router.add_router("", part.router)

__all__ = ["router"]
