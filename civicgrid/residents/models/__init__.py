from .care import CareTag, LocalCareKind
from .exams import Exam, ExamItem, ExamRound
from .housing import Flat, Household
from .people import Person, Residence
from .visits import Visit

__all__ = [
    "CareTag",
    "Exam",
    "ExamItem",
    "ExamRound",
    "Flat",
    "Household",
    "LocalCareKind",
    "Person",
    "Residence",
    "Visit",
]
