from civicgrid.core.models import Notification

from .case import Case, CaseSequence
from .config import Category, DutyRule
from .patrol import Patrol
from .work import Assignment, Callback, CaseEvent, ExtensionRequest, Photo, Supervision

__all__ = [
    "Assignment",
    "Callback",
    "Case",
    "CaseEvent",
    "CaseSequence",
    "Category",
    "DutyRule",
    "ExtensionRequest",
    "Notification",
    "Patrol",
    "Photo",
    "Supervision",
]
