"""The figures of the work-order loop: counts by state, overdue counts and the rates
(响应率, 解决率, 满意率, on-time closure), per street / residential area / grid / unit /
category and period. One module for the UI, the API and the tests; the definitions are
written out in docs/metrics.md and must stay in step with the code below.

Everything is computed in the database: one grouped query for `compute()` and one for
`summary()`, whatever the number of cases (the latest callback of each case comes from a
correlated subquery, not from Python). Plain ORM expressions only, so SQLite and
PostgreSQL give the same numbers.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core import clock

from .choices import CaseStatus
from .errors import InvalidInput
from .figures import figure_q
from .filters import filter_cases
from .models import Case, Category

# group_by value → the Case foreign key it groups on.
GROUPS: dict[str, str] = {
    "street": "street",
    "residential_area": "residential_area",
    "grid": "grid",
    "unit": "lead_unit",
    "category": "category",
}
# Lazy, so the metrics page shows them in the request's language.
GROUP_LABELS: dict[str, str | Promise] = {
    "street": pgettext_lazy("singular", "街道"),
    "residential_area": pgettext_lazy("singular", "居民区"),
    "grid": pgettext_lazy("singular", "网格"),
    "unit": _("主办单位"),
    "category": _("问题分类"),
}


@dataclass(frozen=True)
class Rate:
    """A rate and the two counts it is made of (the UI shows "12/15 · 80%")."""

    key: str  # e.g. "response" → response_rate, response_numerator, response_denominator
    label: str | Promise  # lazy translations: rendered in the request's language
    numerator_label: str | Promise
    denominator_label: str | Promise


RATES: tuple[Rate, ...] = (
    Rate("response", _("响应率"), _("按时响应"), _("应响应")),
    Rate("resolution", _("解决率"), _("已解决"), _("回访联系上")),
    Rate("satisfaction", _("满意率"), _("满意或基本满意"), _("回访联系上")),
    Rate("on_time_closure", _("按时办结率"), _("按时结案"), _("已结案")),
)


def _aggregates(now: datetime) -> dict[str, Any]:
    """One Count per figure of the public shape, each under the condition the case filter's
    `figure` parameter lists (cases.figures)."""
    counts: dict[str, Any] = {"total": Count("pk")}
    counts.update({name: Count("pk", filter=figure_q(name, now)) for name in _COUNT_NAMES if name != "total"})
    return counts


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def finish(row: dict[str, Any]) -> dict[str, Any]:
    """Turn a row of raw counts into the public shape (see docs/metrics.md)."""
    out: dict[str, Any] = {
        "key": row.get("key"),
        "code": row.get("code") or "",
        "name": row.get("name") or "",
        "total": row["total"],
        "counted": row["counted"],
        "by_status": {status.value: row[f"status_{status.value}"] for status in CaseStatus},
        "overdue": row["overdue"],
    }
    for rate in RATES:
        num, den = row[f"{rate.key}_numerator"], row[f"{rate.key}_denominator"]
        out[f"{rate.key}_numerator"] = num
        out[f"{rate.key}_denominator"] = den
        out[f"{rate.key}_rate"] = _rate(num, den)
    return out


def raw_counts(row: dict[str, Any]) -> dict[str, int]:
    """A finished row back into its counts (to add rows together)."""
    out = {"total": row["total"], "counted": row["counted"], "overdue": row["overdue"]}
    out.update({f"status_{s}": n for s, n in row["by_status"].items()})
    for rate in RATES:
        out[f"{rate.key}_numerator"] = row[f"{rate.key}_numerator"]
        out[f"{rate.key}_denominator"] = row[f"{rate.key}_denominator"]
    return out


def total_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """summary() of the same filters, from compute()'s groups: every case is in exactly one
    group (those without one in the key-None group), so the counts add up — one query less
    per dashboard answer, and one reading time for the groups and the total."""
    counts = raw_counts(finish(dict.fromkeys(_COUNT_NAMES, 0)))
    for row in rows:
        for name, value in raw_counts(row).items():
            counts[name] += value
    return finish({**counts, "key": None, "code": "", "name": "合计"})


_COUNT_NAMES = (
    "total",
    "counted",
    "overdue",
    *(f"status_{status.value}" for status in CaseStatus),
    *(f"{rate.key}_{part}" for rate in RATES for part in ("numerator", "denominator")),
)


# ---------------------------------------------------------------------------- filters


def criteria(
    street: Any = None,
    date_from: Any = None,
    date_to: Any = None,
    category: Any = None,
    filters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The arguments of compute()/summary() as CaseFilterSet parameters: the street (an area,
    its id or code), the period, the category (with its branch), plus any other parameter of
    the case filter in `filters` (status, grid, overdue, q…)."""
    named = {"street": street, "date_from": date_from, "date_to": date_to, "category": category}
    return {**(filters or {}), **{k: v for k, v in named.items() if v not in (None, "")}}


def filtered(
    user: Any,
    street: Any = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    category: Any = None,
    filters: Mapping[str, Any] | None = None,
) -> QuerySet[Case]:
    """The cases the figures are computed over: the user's scope, then the case filter
    (cases.filters: the period on received_at, both ends inclusive, in Asia/Shanghai). An
    unknown category code counts nothing: one query per figure, whatever the filter."""
    params = criteria(street, date_from, date_to, category, filters)
    return filter_cases(Case.objects.restrict(user, "view"), params, user=user, check_codes=False)


# ---------------------------------------------------------------------------- public API


def check_group_by(group_by: str) -> None:
    if group_by not in GROUPS:
        allowed = "、".join(GROUPS)
        raise InvalidInput(f"group_by“{group_by}”无效，可选：{allowed}", {"group_by": "invalid_choice"})


def compute(
    user: Any,
    street: Any = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    group_by: str = "street",
    category: Any = None,
    now: datetime | None = None,
    filters: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One dict per group (see docs/metrics.md for every key), ordered by the group's code;
    cases without a residential area, grid or lead unit form a group with key None, last."""
    check_group_by(group_by)
    fk = GROUPS[group_by]
    qs = filtered(user, street, date_from, date_to, category, filters)
    names = {"name": F(f"{fk}__name")}
    if fk == "category":  # read in the reader's language (Category.label)
        names["name_en"] = F("category__name_en")
    rows = qs.order_by().values(key=F(f"{fk}_id"), code=F(f"{fk}__code"), **names)
    groups = [finish(_labelled(dict(row))) for row in rows.annotate(**_aggregates(now or clock.now()))]
    groups.sort(key=lambda g: (g["key"] is None, g["code"], g["name"], g["key"] or 0))
    return groups


def _labelled(row: dict[str, Any]) -> dict[str, Any]:
    if "name_en" in row:
        row["name"] = Category(name=row["name"] or "", name_en=row.pop("name_en") or "").label
    return row


def summary(
    user: Any,
    street: Any = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    category: Any = None,
    now: datetime | None = None,
    filters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The same figures over the whole filtered set (key None, name 合计)."""
    qs = filtered(user, street, date_from, date_to, category, filters)
    row = qs.order_by().aggregate(**_aggregates(now or clock.now()))
    return finish({**row, "key": None, "code": "", "name": "合计"})
