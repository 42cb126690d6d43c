"""Who handles a case: the duty table, most specific area first, then most specific category."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from civicgrid.orgs.models import Unit

from .models import Category, DutyRule


@dataclass(frozen=True)
class Route:
    lead_unit: Unit
    co_units: list[Unit] = field(default_factory=list)
    rule: DutyRule | None = None


def route(category: Category, areas: list[Any]) -> Route | None:
    """`areas` from most to least specific (grid, residential area, street); None → the dispatcher's queue."""
    area_ids = [a.pk if hasattr(a, "pk") else a.id for a in areas if a is not None]
    if not area_ids:
        return None
    rules = (
        DutyRule.objects.filter(
            is_active=True, area_id__in=area_ids, category_id__in=[c.pk for c in category.lineage()]
        )
        .select_related("lead_unit")
        .prefetch_related("co_units")
    )
    return choose(rules, category, area_ids)


def choose(rules: Iterable[DutyRule], category: Category, area_ids: list[int]) -> Route | None:
    """The winning rule among already-loaded rules (bulk callers load them once)."""
    area_rank = {pk: i for i, pk in enumerate(area_ids)}
    category_rank = {c.pk: i for i, c in enumerate(category.lineage())}
    matching = [r for r in rules if r.area_id in area_rank and r.category_id in category_rank]
    if not matching:
        return None
    best = min(matching, key=lambda r: (area_rank[r.area_id], category_rank[r.category_id]))
    co_units = [u for u in best.co_units.all() if u.pk != best.lead_unit_id]
    return Route(lead_unit=best.lead_unit, co_units=co_units, rule=best)
