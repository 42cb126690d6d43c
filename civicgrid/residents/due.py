"""The due list (待走访): which households the reader should visit, and since when.

Every person with an active care tag the reader may see (CareTag.objects.restrict()), and every
person of 80, 90 or 100 and over (care.age_band), is a reason to visit their household every
so many days: the street's profile `residents.visit_interval_days` by kind or age band (0: no
scheduled visits), a street's own kind its LocalCareKind's interval. A reason is due its
interval after the household's last done visit, or after it began (the tag's start, the
birthday that reached the band) when no visit came since. One visit covers the household, so
the list is grouped per household and a household is due on its earliest reason's date.

Who sees what is restrict()'s answer: a cadre her residential area, a grid worker their grid.
A handful of queries whatever the size of the area (the tests count them)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock, profile
from civicgrid.core.capabilities import grants
from civicgrid.core.choices import Action, Role
from civicgrid.core.errors import InvalidInput
from civicgrid.core.scope import Scope, user_scope

from .care import age_band, born_on_or_before, hidden_kinds, is_sensitive, log_look
from .choices import AgeBand, CareKind, ResidenceStatus, VisitStatus
from .models import CareTag, Household, Person, Visit
from .profile_settings import VISIT_PARTS

INTERVAL_KEY = "residents.visit_interval_days"
# A household whose next visit falls within this many days is on the list (待走访).
DUE_WITHIN_DAYS = 7
BANDS = {band: int(band) for band in AgeBand.values}


@dataclass
class Reason:
    """One person's reason to be visited: a care tag (`tag` set) or an age band."""

    code: str  # a CareKind value, "local", or "age80"/"age90"/"age100"
    label: str
    person: str  # the person's name
    since: date
    interval: int
    due_on: date
    tag: CareTag | None = None

    @property
    def sensitive(self) -> bool:
        return self.tag is not None and is_sensitive(self.tag.kind)


@dataclass
class Due:
    household: Household
    reasons: list[Reason] = field(default_factory=list)
    last_visit: date | None = None
    planned: int | None = None  # the id of the next planned visit, if one is planned
    planned_for: date | None = None
    due_on: date = date.max
    overdue_days: int = 0

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0

    @property
    def codes(self) -> list[str]:
        return sorted({r.code for r in self.reasons})


class DueForm(forms.Form):
    """The due list's parameters (page and API): overdue only, and one kind of reason."""

    overdue = forms.BooleanField(label=_("仅看逾期"), required=False)
    care = forms.ChoiceField(
        label=_("关爱类别"),
        required=False,
        choices=[("", _("全部")), *VISIT_PARTS, ("local", _("街道自定义"))],
    )

    def __init__(self, data: Any = None, *, user: Any) -> None:
        super().__init__(data)
        # The sensitive kinds the reader may not see are no choice for them either.
        hidden = set(hidden_kinds(user_scope(user)))
        field = self.fields["care"]
        field.choices = [c for c in field.choices if c[0] not in hidden]  # type: ignore[attr-defined]

    def checked(self) -> dict[str, Any]:
        if not self.is_valid():
            name, errors = next(iter(self.errors.items()))
            raise InvalidInput(f"{name}：{errors[0]}", {name: "invalid"})
        return self.cleaned_data


def _intervals(street_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    return {street_id: profile.value(INTERVAL_KEY, street_id) for street_id in set(street_ids)}


def due_list(
    user: Any,
    *,
    care: str = "",
    overdue: bool = False,
    day: date | None = None,
    household_ids: Any = None,
    within: int | None = DUE_WITHIN_DAYS,
) -> list[Due]:
    """The households `user` should visit, most overdue first. `care`: only reasons of that
    kind ("alone", "age90", "local"…); `overdue`: only households past their date;
    `household_ids`: only these households (a household's own page); `within`: only those
    due within so many days (None: every household with a scheduled reason)."""
    day = day or clock.today()
    households = Household.objects.restrict(user, Action.VIEW).filter(moved_out__isnull=True)
    if household_ids is not None:
        households = households.filter(pk__in=household_ids)
    reasons = _reasons(user, day, households, care)
    if not reasons:
        return []
    ids = list(reasons)
    last = dict(
        Visit.objects.restrict(user, Action.VIEW)
        .filter(household_id__in=ids, status=VisitStatus.DONE, visited_at__isnull=False)
        .values("household_id")
        .annotate(last=Max("visited_at"))
        .values_list("household_id", "last")
    )
    planned = {
        row["household_id"]: row
        for row in Visit.objects.restrict(user, Action.VIEW)
        .filter(household_id__in=ids, status=VisitStatus.PLANNED)
        .order_by("household_id", "planned_for", "id")
        .values("household_id", "id", "planned_for")
    }
    out = []
    for household in households.filter(pk__in=ids).select_related("flat__building", "flat__building__grid"):
        last_at = last.get(household.pk)
        last_day = timezone.localtime(last_at).date() if last_at is not None else None
        row = Due(household=household, last_visit=last_day)
        for reason in reasons[household.pk]:
            start = max(reason.since, last_day) if last_day is not None else reason.since
            reason.due_on = start + timedelta(days=reason.interval)
            row.reasons.append(reason)
        row.due_on = min(r.due_on for r in row.reasons)
        row.overdue_days = max(0, (day - row.due_on).days)
        if (within is not None and (row.due_on - day).days >= within) or (overdue and not row.overdue):
            continue
        if (plan := planned.get(household.pk)) is not None:
            row.planned, row.planned_for = plan["id"], plan["planned_for"]
        row.reasons.sort(key=lambda r: (r.due_on, r.code))
        out.append(row)
    out.sort(key=lambda r: (r.due_on, r.household.pk))
    return out


def _reasons(user: Any, day: date, households: Any, care: str) -> dict[int, list[Reason]]:
    """Each household's reasons with their interval (due dates come later), by household id."""
    current = {"person__household__in": households, "person__residence__in": _living()}
    by_household: dict[int, list[Reason]] = defaultdict(list)
    intervals: dict[int, dict[str, int]] = {}
    if not care.startswith("age"):
        tags = (
            CareTag.objects.restrict(user, Action.VIEW)
            .active(day)
            .filter(**current)
            .select_related("local_kind", "person")
        )
        if care:
            tags = tags.filter(kind=care)
        rows = list(tags)
        intervals = _intervals(t.street_id for t in rows)
        for tag in rows:
            if tag.kind == CareKind.LOCAL:
                interval = (tag.local_kind.visit_interval_days if tag.local_kind else None) or 0
            else:
                interval = intervals[tag.street_id].get(tag.kind, 0)
            if interval > 0:
                by_household[tag.person.household_id].append(  # type: ignore[index]
                    Reason(tag.kind, tag.label, tag.person.name, tag.starts_on, interval, day, tag)
                )
    if not care or care.startswith("age"):
        band_of = {f"age{band}": band for band in BANDS}
        youngest = BANDS[band_of[care]] if care else min(BANDS.values())
        people = Person.objects.restrict(user, Action.VIEW).filter(
            household__in=households,
            residence__in=_living(),
            birth_date__lte=born_on_or_before(youngest, day),
        )
        people_rows = list(people.values("name", "birth_date", "household_id", "street_id"))
        intervals.update(_intervals(p["street_id"] for p in people_rows if p["street_id"] not in intervals))
        labels = dict(AgeBand.choices)
        for person in people_rows:
            band = age_band(person["birth_date"], day)
            if band is None or person["birth_date"] is None or (care and band_of[care] != band):
                continue
            interval = intervals[person["street_id"]].get(f"age{band}", 0)
            if interval > 0:
                # The birthday that reached the band: `born_on_or_before` counted forwards.
                reached = born_on_or_before(-BANDS[band], person["birth_date"])
                by_household[person["household_id"]].append(
                    Reason(f"age{band}", str(labels[band]), person["name"], reached, interval, day)
                )
    return by_household


def _living() -> list[str]:
    # Those living in the household: not away, not deceased, not registered here living elsewhere.
    gone = {ResidenceStatus.DECEASED, ResidenceStatus.AWAY, ResidenceStatus.REGISTERED_AWAY}
    return [value for value in ResidenceStatus.values if value not in gone]


@dataclass
class _CountingReader:
    """Stands for the registry's keepers of some streets, to count (never to show) what is due
    there: restrict() reads its scope like a user's."""

    scope: Scope
    is_authenticated: bool = True
    is_active: bool = True

    def get_scope(self) -> Scope:
        return self.scope


def overdue_by_area(
    user: Any, street_ids: Iterable[int] | None = None, day: date | None = None
) -> dict[int | None, int]:
    """Households overdue for a visit per residential area (None: a household outside any),
    over the reader's streets (narrowed to `street_ids`) — numbers, never names — for readers
    of residents.counts, as the registry's count panels are (a leader's dashboard, the street's
    reports). The reasons are those the street's keepers see: the sensitive kinds, seen only by
    the cadres who answer for them, are not counted here."""
    scope = user_scope(user)
    if scope is None or not grants(scope, "residents.counts"):
        return {}
    streets: frozenset[int] | None
    if scope.is_global:
        streets = None if street_ids is None else frozenset(street_ids)
    else:
        streets = frozenset(
            scope.street_ids if street_ids is None else set(scope.street_ids) & set(street_ids)
        )
        if not streets:
            return {}
    keepers = Scope(
        role=Role.ADMIN,
        street_ids=streets or frozenset(),
        area_paths=scope.area_paths,
        is_global=streets is None,
    )
    counts: dict[int | None, int] = defaultdict(int)
    for row in due_list(_CountingReader(keepers), overdue=True, within=None, day=day):
        grid = row.household.flat.building.grid
        counts[grid.parent_id if grid is not None else None] += 1
    return dict(counts)


def log_looks(user: Any, rows: list[Due], *, reason: str, via: str = "web") -> None:
    """Log the sensitive tags among `rows`' reasons, about to be shown to `user` (care.log_look)."""
    log_look(user, [r.tag for row in rows for r in row.reasons if r.sensitive], reason=reason, via=via)


def summary(rows: list[Due]) -> dict[str, Any]:
    """What the home panels say: how many households are due, how many overdue, the worst few."""
    overdue = [r for r in rows if r.overdue]
    worst = sorted(overdue, key=lambda r: (-r.overdue_days, r.household.pk))
    return {"due": len(rows), "overdue": len(overdue), "worst": worst[:3]}


def reason_codes(user: Any, household: Household, day: date | None = None) -> list[str]:
    """The kinds a visit to `household` answers for now (Visit.reasons of an unplanned visit)."""
    rows = due_list(user, day=day, household_ids=[household.pk], within=None)
    if not rows:
        return []
    return rows[0].codes
