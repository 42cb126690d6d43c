"""A hotspot for the plan tests: noise complaints (E2105) in the east street's first grid,
some before the window a plan links (200 days back), some in it, some a week after the plan
started, and one elsewhere (another grid, another street) that must never count."""

from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.utils import timezone

from civicgrid.cases.tests.factories import make_case
from civicgrid.core.choices import Role
from civicgrid.insights.actions.plans import make_plan
from civicgrid.insights.models import GovernancePlan

NOW = datetime(2026, 6, 10, 10, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))  # a Wednesday
# Days before NOW each hotspot case was received (the cases a plan links: the last 90 days).
BEFORE_DAYS = (200, 60, 30, 9, 8, 2)


def at(days: float) -> datetime:
    return NOW - timedelta(days=days)


def hotspot_params(world: Any) -> dict[str, str]:
    return {"grid": world.east.grids[0].code, "category": "E2105"}


def make_cases(world: Any) -> dict[str, list[Any]]:
    """The cases, each received at its own time (the clock travels there)."""
    out: dict[str, list[Any]] = {"hotspot": [], "other": []}
    for days in BEFORE_DAYS:
        with time_machine.travel(at(days), tick=False):
            out["hotspot"].append(make_case(world, "east", 0))
    with time_machine.travel(at(5), tick=False):
        out["other"].append(make_case(world, "east", 1))
        out["other"].append(make_case(world, "west", 0))
        out["other"].append(make_case(world, "east", 0, category="C0101", description="路灯不亮"))
    return out


def plan_for(world: Any, **extra: Any) -> GovernancePlan:
    fields: dict[str, Any] = {
        "street": world.east.street,
        "title": "一号网格噪声源头治理",
        "hotspot_kind": "recurrence",
        "hotspot_label": "一号网格 · 噪声扰民",
        "hotspot_params": hotspot_params(world),
        "measures": "夜间巡查，约谈商户，加装隔音设施",
        "deadline": (NOW + timedelta(days=30)).date(),
        "owner_unit": world.east.unit.pk,
        "owner": world.east.users[Role.HANDLER].pk,
    }
    fields.update(extra)
    return make_plan(world.east.users[Role.DISPATCHER], **fields)
