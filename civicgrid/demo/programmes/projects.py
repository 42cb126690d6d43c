"""(part projects: its demo lands here.)"""

from typing import Any


def load(plan: Any) -> int:
    return 0
