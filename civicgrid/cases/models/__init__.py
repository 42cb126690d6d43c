from civicgrid.core.models import Notification

from .case import Case, CaseSequence
from .config import Category, DutyRule
from .intake import IntakeHint, IntakeSuggestion
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
    "IntakeHint",
    "IntakeSuggestion",
    "Notification",
    "Patrol",
    "Photo",
    "Supervision",
]
