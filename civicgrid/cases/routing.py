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


RuleIndex = dict[tuple[int, int], DutyRule]


def index_rules(rules: Iterable[DutyRule]) -> RuleIndex:
    """Loaded rules by (area id, category id); of two rules for the same pair the first wins."""
    index: RuleIndex = {}
    for r in rules:
        index.setdefault((r.area_id, r.category_id), r)
    return index


def choose(rules: Iterable[DutyRule] | RuleIndex, category: Category, area_ids: list[int]) -> Route | None:
    """The winning rule among already-loaded rules (bulk callers load and index them once):
    the most specific area first, then the most specific category."""
    index = rules if isinstance(rules, dict) else index_rules(rules)
    lineage = category.lineage()
    for area_id in area_ids:
        for node in lineage:
            best: DutyRule | None = index.get((area_id, node.pk))
            if best is not None:
                co_units = [u for u in best.co_units.all() if u.pk != best.lead_unit_id]
                return Route(lead_unit=best.lead_unit, co_units=co_units, rule=best)
    return None
