"""The before/after numbers of a plan (its page's chart and table, `GET .../weekly`): cases at
the hotspot per week for 12 weeks before the plan started and the weeks since (up to 26), each
week with the workbench link that lists exactly the cases it counts."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from civicgrid.core import clock
from civicgrid.core.capabilities import may

from .hotspots import weekly_counts, workbench_link
from .models import GovernancePlan
from .workflow import MANAGE

WEEKS_BEFORE = 12
MAX_WEEKS_AFTER = 26


@dataclass
class Week:
    monday: date
    count: int
    after: bool  # the week the plan started and those since
    link: str

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def as_dict(self) -> dict[str, Any]:
        return {
            "week": self.monday.isoformat(),
            "week_end": self.sunday.isoformat(),
            "count": self.count,
            "after": self.after,
            "link": self.link,
        }


@dataclass
class BeforeAfter:
    weeks: list[Week]
    started_on: date

    def _average(self, after: bool) -> float | None:
        counts = [w.count for w in self.weeks if w.after is after]
        return round(sum(counts) / len(counts), 2) if counts else None

    @property
    def before(self) -> float | None:
        return self._average(False)

    @property
    def after(self) -> float | None:
        return self._average(True)

    @property
    def change(self) -> float | None:
        """The change of the weekly average, in % of the average before (none from nothing)."""
        before, after = self.before, self.after
        if not before or after is None:
            return None
        return round((after - before) / before * 100, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_on": self.started_on.isoformat(),
            "weeks": [w.as_dict() for w in self.weeks],
            "average_before": self.before,
            "average_after": self.after,
            "change_percent": self.change,
        }


def shows_hotspot(user: Any) -> bool:
    """Whether the reader may read the hotspot's case-filter parameters (an address, a
    building…): the street-wide roles, who see every case of the street. A handling unit owns
    the plan, not the other units' cases its hotspot names, so it gets the counts only."""
    return may(user, MANAGE)


def before_after(user: Any, plan: GovernancePlan) -> BeforeAfter:
    """The reader's counts at the plan's hotspot (their scope: a handler's are their unit's),
    each week with its list's link for the readers `shows_hotspot()`."""
    linked = shows_hotspot(user)
    started = plan.started_on - timedelta(days=plan.started_on.weekday())
    today = clock.today()
    since = (today - started).days // 7 + 1 if today >= started else 1
    after = max(1, min(MAX_WEEKS_AFTER, since))
    first = started - timedelta(weeks=WEEKS_BEFORE)
    rows = weekly_counts(user, plan.hotspot_params, first, WEEKS_BEFORE + after)
    weeks = [
        Week(
            monday=monday,
            count=count,
            after=monday >= started,
            link=workbench_link(
                {**plan.hotspot_params, "date_from": monday, "date_to": monday + timedelta(days=6)}
            )
            if linked
            else "",
        )
        for monday, count in rows
    ]
    return BeforeAfter(weeks=weeks, started_on=plan.started_on)
