"""What insights writes: the rollups it keeps from the case events (rollups.py), the
source-governance plans (plans.py), the hot-topic runs (topics.py) and the reports (reports.py).
Everything else it reads from the domain apps."""

from .plans import GovernancePlan
from .reports import Report
from .rollups import CITY_DIMENSIONS, CaseRollup, CityRollup, DayRollup, Dimension, RollupState
from .topics import TopicRun

__all__ = [
    "CITY_DIMENSIONS",
    "CaseRollup",
    "CityRollup",
    "DayRollup",
    "Dimension",
    "GovernancePlan",
    "Report",
    "RollupState",
    "TopicRun",
]
