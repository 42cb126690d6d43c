"""Setting up a round (换届): the round of a street with one election per residents'
committee, an election added later, and the round's rule overrides with who and why. Each
write runs in one transaction with its event (core.events) and audit rows (AuditedModel)."""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.core import events
from civicgrid.core.choices import Action
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput
from civicgrid.core.scope import user_scope
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .. import schedule
from ..choices import Method
from ..models import Election, ElectionRound, Milestone, RuleOverride
from ..rules import RULES, clean_value, for_street, show
from .elections import milestone_dates

CREATE, ADD, OVERRIDE = "create", "add_election", "override_rule"


def _street_of(actor: Any, street: Any) -> Area:
    """The street, if the actor may organise elections in it (unknown and refused look alike)."""
    scope = user_scope(actor)
    street_id = getattr(street, "pk", street)
    allowed = (
        scope is not None
        and ElectionRound.objects.allows(actor, Action.ADD)
        and (scope.is_global or street_id in scope.street_ids)
    )
    found = Area.objects.filter(pk=street_id, kind=AreaKind.STREET).first() if allowed else None
    if found is None:
        raise Forbidden(_("你不能在该街道组织换届选举"))
    return found


def create_round(
    actor: Any,
    *,
    street: Any,
    name: str,
    year: int,
    election_day: date,
    method: str = Method.DIRECT,
    seats: int = 7,
    committees: bool = True,
) -> ElectionRound:
    """A street's round; with `committees`, one election per residential area of the street
    (method and seats as given, changed per committee later), each with the default plan."""
    street = _street_of(actor, street)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidInput(_("请填写届次名称（不超过 60 字）"), {"name": "invalid"})
    if ElectionRound.objects.filter(street=street, year=year).exists():
        raise Conflict(_("%(street)s 已有 %(year)d 年的换届") % {"street": street.name, "year": year})
    with transaction.atomic():
        election_round = ElectionRound.objects.create(
            street=street, name=name, year=year, election_day=election_day, created_by=actor
        )
        events.log(election_round, CREATE, actor, payload={"year": year})
        if committees:
            areas = Area.objects.filter(parent=street, kind=AreaKind.RESIDENTIAL).order_by("code")
            for area in areas:
                _add(actor, election_round, area, method=method, seats=seats, election_day=election_day)
    return election_round


def add_election(
    actor: Any,
    election_round: ElectionRound,
    *,
    area: Any,
    method: str = Method.DIRECT,
    seats: int = 7,
    vice_chairs: int = 1,
    election_day: date | None = None,
) -> Election:
    """One more committee's election in a round."""
    _street_of(actor, election_round.street_id)
    found = Area.objects.filter(
        pk=getattr(area, "pk", area), parent_id=election_round.street_id, kind=AreaKind.RESIDENTIAL
    ).first()
    if found is None:
        raise InvalidInput(_("居民区不在该街道"), {"area": "invalid"})
    if Election.objects.filter(round=election_round, area=found).exists():
        raise Conflict(_("%s 在本届已有选举") % found.name)
    with transaction.atomic():
        return _add(
            actor,
            election_round,
            found,
            method=method,
            seats=seats,
            vice_chairs=vice_chairs,
            election_day=election_day or election_round.election_day,
        )


def _add(
    actor: Any,
    election_round: ElectionRound,
    area: Area,
    *,
    method: str,
    seats: int,
    election_day: date,
    vice_chairs: int = 1,
) -> Election:
    rules = election_round.rules()
    if method not in Method.values:
        raise InvalidInput(_("选举方式不正确"), {"method": "invalid"})
    if not rules.seats_min <= seats <= rules.seats_max:
        raise InvalidInput(
            _("应选名额须在 %(min)d 到 %(max)d 人之间") % {"min": rules.seats_min, "max": rules.seats_max},
            {"seats": "out_of_range"},
        )
    if not 0 <= vice_chairs < seats:
        raise InvalidInput(_("副主任人数须少于应选名额"), {"vice_chairs": "out_of_range"})
    election = Election.objects.create(
        round=election_round,
        street_id=election_round.street_id,
        area=area,
        method=method,
        seats=seats,
        vice_chairs=vice_chairs,
        term_years=rules.term_years,
        election_day=election_day,
    )
    Milestone.objects.bulk_create(
        Milestone(election=election, street_id=election.street_id, step=step, planned_on=when)
        for step, when in schedule.default_plan(election_day, rules).items()
    )
    events.log(election, ADD, actor, payload={"area": area.code, "method": method, "seats": seats})
    return election


def override_rule(
    actor: Any, election_round: ElectionRound, *, key: str, value: Any, reason: str
) -> RuleOverride:
    """Change one rule for this round: the value cleaned as the rule's kind, the reason
    required, the row kept (previous and new value, who, when, why) and the event logged. A
    change that would make a scheduled election's timeline impossible is refused."""
    _street_of(actor, election_round.street_id)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("请说明调整理由"), {"reason": "required"})
    if key not in RULES:
        raise InvalidInput(_("未知的选举规则：%s") % key, {"key": "unknown"})
    cleaned = clean_value(key, value, field="value")
    with transaction.atomic():
        locked = ElectionRound.objects.select_for_update().get(pk=election_round.pk)
        previous = show(getattr(locked.rules(), key))
        values = {**locked.rule_values, key: show(cleaned)}
        if show(getattr(for_street(locked.street_id), key)) == show(cleaned):
            values.pop(key)  # back to the street's value: no override left
        rules = for_street(locked.street_id).with_values(values, field_prefix="value")
        for election in locked.elections.exclude(status__in=("reported", "deferred")).select_related("area"):
            try:
                schedule.check(milestone_dates(election), rules)
            except InvalidInput as exc:
                raise InvalidInput(
                    _("调整后 %(area)s 的日程不再合规：%(why)s")
                    % {"area": election.area.name, "why": exc.message},
                    {"value": "schedule"},
                ) from None
        locked.rule_values = values
        locked.version += 1
        locked.save(update_fields=["rule_values", "version", "updated_at"])
        row = RuleOverride.objects.create(
            round=locked,
            street_id=locked.street_id,
            key=key,
            value=show(cleaned),
            previous=previous,
            reason=reason,
            set_by=actor,
        )
        events.log(
            locked, OVERRIDE, actor, payload={"key": key, "value": show(cleaned), "previous": previous}
        )
    election_round.refresh_from_db()
    return row
