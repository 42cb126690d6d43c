"""The election rules as parameters (居委会换届选举的法定规则).

Every rule of the law the brief cites (城市居民委员会组织法 as revised 2025-10-28, whose election
articles mirror 村民委员会组织法 §14–§15) is one `Rule` with the law's value as its default.
A street's profile may set the whole-number rules for all its rounds (`profile_settings.py`);
a round may override any rule, each override recorded with who and why
(`ElectionRound.rule_overrides`, written only by `actions.rounds.override_rule`). `resolve()`
gives the effective `Rules` of a round; the count (`counting.py`) and the schedule checks
(`schedule.py`) read only that object, so the offline `count_election` command and the pages
apply the same rules.

Shares are exact fractions (`fractions.Fraction`), never floats: "more than half of 1,001"
must not depend on rounding.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.core.errors import InvalidInput

INT, SHARE = "int", "share"


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str  # INT or SHARE
    default: Any
    label: Any
    minimum: Any
    maximum: Any
    # Whether a street's profile may set it (the whole-number rules); shares only per round.
    in_profile: bool = False


RULES: dict[str, Rule] = {
    r.key: r
    for r in (
        Rule("list_days_before", INT, 20, _("选民名单至迟于选举日前公布（天）"), 1, 90, True),
        Rule("objection_days", INT, 5, _("对选民名单有异议的，自公布之日起申诉期限（天）"), 1, 30, True),
        Rule("objection_decision_days", INT, 3, _("申诉处理期限（自收到申诉之日起，天）"), 1, 30, True),
        Rule("candidates_days_before", INT, 5, _("正式候选人名单至迟于选举日前公布（天）"), 1, 60, True),
        Rule(
            "turnout_quorum",
            SHARE,
            Fraction(1, 2),
            _("选举有效：投票人数须超过登记选民（代表）的比例"),
            Fraction(0),
            Fraction(1),
        ),
        Rule(
            "elected_share",
            SHARE,
            Fraction(1, 2),
            _("当选：得票须超过投票数的比例"),
            Fraction(0),
            Fraction(1),
        ),
        Rule(
            "second_round_share",
            SHARE,
            Fraction(1, 3),
            _("另行选举：得票不得少于投票数的比例"),
            Fraction(0),
            Fraction(1),
        ),
        Rule("contest_margin", INT, 1, _("差额选举：候选人至少多于应选名额（人）"), 0, 9, True),
        Rule("voting_age", INT, 18, _("选民年龄（选举日年满，周岁）"), 16, 30, True),
        Rule("proxy_limit", INT, 3, _("每一选民接受委托投票不得超过（人）"), 1, 10, True),
        Rule("term_years", INT, 5, _("每届任期（年）"), 1, 10, True),
        Rule("seats_min", INT, 5, _("委员会成员至少（人）"), 1, 30, True),
        Rule("seats_max", INT, 9, _("委员会成员至多（人）"), 1, 30, True),
        Rule("group_representatives_min", INT, 2, _("每个居民小组推选代表至少（人）"), 1, 10, True),
        Rule("group_representatives_max", INT, 3, _("每个居民小组推选代表至多（人）"), 1, 10, True),
    )
}


@dataclass(frozen=True)
class Rules:
    """The effective rules of one round (or of one offline count)."""

    list_days_before: int = 20
    objection_days: int = 5
    objection_decision_days: int = 3
    candidates_days_before: int = 5
    turnout_quorum: Fraction = Fraction(1, 2)
    elected_share: Fraction = Fraction(1, 2)
    second_round_share: Fraction = Fraction(1, 3)
    contest_margin: int = 1
    voting_age: int = 18
    proxy_limit: int = 3
    term_years: int = 5
    seats_min: int = 5
    seats_max: int = 9
    group_representatives_min: int = 2
    group_representatives_max: int = 3

    def with_values(self, values: Mapping[str, Any], *, field_prefix: str = "rules") -> "Rules":
        """These rules with `values` (raw, as typed or read from JSON) applied, each cleaned;
        InvalidInput names the first bad key as `<field_prefix>.<key>`."""
        cleaned = {key: clean_value(key, raw, field=f"{field_prefix}.{key}") for key, raw in values.items()}
        rules = replace(self, **cleaned)
        rules.check_consistent(field_prefix)
        return rules

    def check_consistent(self, field_prefix: str = "rules") -> None:
        if self.seats_min > self.seats_max:
            raise InvalidInput(
                gettext("委员会成员人数下限不能大于上限"), {f"{field_prefix}.seats_min": "invalid"}
            )
        if self.group_representatives_min > self.group_representatives_max:
            raise InvalidInput(
                gettext("居民小组代表人数下限不能大于上限"),
                {f"{field_prefix}.group_representatives_min": "invalid"},
            )

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values (shares as "n/d" strings), the shape `with_values` reads back."""
        return {f.name: show(getattr(self, f.name)) for f in fields(self)}


DEFAULTS = Rules()
assert set(RULES) == {f.name for f in fields(Rules)}, "every rule is declared once"
assert all(getattr(DEFAULTS, key) == rule.default for key, rule in RULES.items())


def show(value: Any) -> Any:
    return f"{value.numerator}/{value.denominator}" if isinstance(value, Fraction) else value


def clean_value(key: str, raw: Any, *, field: str = "") -> Any:
    """One rule's value from what a person typed or a JSON file held: an int for INT rules; for
    SHARE rules a fraction written "1/2", a decimal "0.5" or a JSON number. InvalidInput names
    `field` (default: the key)."""
    field = field or key
    rule = RULES.get(key)
    if rule is None:
        raise InvalidInput(_("未知的选举规则：%s") % key, {field: "unknown"})
    if rule.kind == INT:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise InvalidInput(_("%s 须为整数") % rule.label, {field: "invalid"})
        try:
            value: Any = int(str(raw).strip())
        except ValueError:
            raise InvalidInput(_("%s 须为整数") % rule.label, {field: "invalid"}) from None
    else:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise InvalidInput(_("%s 须为分数（如 1/2）或小数") % rule.label, {field: "invalid"})
        try:
            value = Fraction(str(raw).strip())
        except (ValueError, ZeroDivisionError):
            raise InvalidInput(_("%s 须为分数（如 1/2）或小数") % rule.label, {field: "invalid"}) from None
    if not rule.minimum <= value <= rule.maximum:
        raise InvalidInput(
            _("%(label)s 须在 %(min)s 与 %(max)s 之间")
            % {"label": rule.label, "min": show(rule.minimum), "max": show(rule.maximum)},
            {field: "out_of_range"},
        )
    return value


def profile_key(key: str) -> str:
    return f"elections.{key}"


def for_street(street_id: int) -> Rules:
    """The street profile's rules (profile_settings.py declares the whole-number ones)."""
    from civicgrid.core import profile

    settings = profile.for_area(street_id)
    return replace(
        DEFAULTS, **{key: settings[profile_key(key)] for key, rule in RULES.items() if rule.in_profile}
    )


def for_round(election_round: Any) -> Rules:
    """A round's effective rules: the street's, then the round's own overrides."""
    return for_street(election_round.street_id).with_values(election_round.rule_values)
