"""Safety inspections: places under supervision, versioned checklists, plans and tasks,
inspection records, rectification orders and the group-renting register."""

from .checklists import Checklist, ChecklistItem
from .orders import Order, OrderSequence
from .places import Place
from .plans import Plan, Task
from .records import Inspection, ItemResult
from .renting import FlatCheck, RentEntry

__all__ = [
    "Checklist",
    "ChecklistItem",
    "FlatCheck",
    "Inspection",
    "ItemResult",
    "Order",
    "OrderSequence",
    "Place",
    "Plan",
    "RentEntry",
    "Task",
]
