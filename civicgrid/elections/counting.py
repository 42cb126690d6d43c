"""The count (计票): from the figures of one ballot, whether it is valid, who is elected, which
seats stay vacant and who stands in the next ballot — exactly as the round's `Rules` say.

Pure: no database, no clock. The app's count action and the offline `manage.py count_election`
call the same `count()`, so an audit on a laptop reproduces the announced result. Thresholds are
compared with integers and Fractions only ("more than half of 1,001" must not depend on
rounding). docs/elections-counting.md states the rules with worked examples.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from civicgrid.core.errors import InvalidInput
from civicgrid.elections.rules import DEFAULTS, Rules

DIRECT, HOUSEHOLD, REPRESENTATIVE = "direct", "household", "representative"
METHODS = (DIRECT, HOUSEHOLD, REPRESENTATIVE)
ROUNDS = (1, 2)

# Outcome codes.
ELECTED = "elected"  # every seat filled
INVALID_TURNOUT = "invalid_turnout"  # not enough voters voted: the whole vote is void
INVALID_ISSUED = "invalid_issued"  # more ballots returned than issued: void
VACANCIES = "vacancies"  # round 1 left seats: 另行选举 among `second_round`
RUNOFF = "runoff"  # a tie at the last seat: the tied vote again
UNFILLED = "unfilled"  # round 2 left seats: they stay vacant

# Who `registered` counts, by method; the reasons name them.
ELECTORATE = {
    DIRECT: gettext_lazy("登记选民"),
    HOUSEHOLD: gettext_lazy("户代表"),
    REPRESENTATIVE: gettext_lazy("居民代表"),
}

LABELS = {
    "method": gettext_lazy("选举方式"),
    "round": gettext_lazy("轮次"),
    "registered": gettext_lazy("登记选民（代表）人数"),
    "ballots_cast": gettext_lazy("参加投票人数（收回选票数）"),
    "invalid_ballots": gettext_lazy("无效票数"),
    "seats": gettext_lazy("应选名额"),
    "ballots_issued": gettext_lazy("发出选票数"),
}
REQUIRED = ("method", "round", "registered", "ballots_cast", "invalid_ballots", "seats", "votes")
KEYS = frozenset((*REQUIRED, "rules", "ballots_issued"))


@dataclass(frozen=True)
class Tally:
    """What was counted in one ballot of one committee."""

    method: str  # DIRECT | HOUSEHOLD | REPRESENTATIVE
    round: int  # 1, or 2 for 另行选举 and run-offs
    registered: int  # registered voters / household representatives / group representatives
    ballots_cast: int  # ballots returned, valid and invalid
    invalid_ballots: int
    seats: int  # round 2: the seats still vacant
    votes: Mapping[str, int]  # candidate (or write-in) name -> votes, in the order given
    ballots_issued: int | None = None  # when given, more returned than issued voids the vote


@dataclass(frozen=True)
class Outcome:
    valid: bool
    turnout: Fraction  # ballots_cast / registered
    elected: tuple[str, ...]  # in order of votes, ties in input order
    vacancies: int
    second_round: tuple[str, ...]  # who stands in the next ballot (另行选举 or run-off)
    reason: str  # in the language active when counted
    code: str  # ELECTED | INVALID_TURNOUT | INVALID_ISSUED | VACANCIES | RUNOFF | UNFILLED

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "turnout": round(float(self.turnout), 4),
            "elected": list(self.elected),
            "vacancies": self.vacancies,
            "second_round": list(self.second_round),
            "reason": self.reason,
        }


def tally_from_json(data: Mapping[str, Any], *, base: Rules = DEFAULTS) -> tuple[Tally, Rules]:
    """The tally and the effective rules (`base` with the file's `rules` overrides) of a JSON
    object; InvalidInput names the first bad key (`rules.<key>`, `votes.<name>` inside those)."""
    if not isinstance(data, Mapping):
        raise InvalidInput(_("计票数据须为 JSON 对象"), {"tally": "invalid"})
    unknown = sorted(str(key) for key in data if key not in KEYS)
    if unknown:
        raise InvalidInput(_("未知的字段：%s") % "、".join(unknown), dict.fromkeys(unknown, "unknown"))
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise InvalidInput(_("缺少字段：%s") % "、".join(missing), dict.fromkeys(missing, "required"))
    for key in ("votes", "rules"):
        if not isinstance(data.get(key, {}), Mapping):
            raise InvalidInput(_("%s 须为 JSON 对象") % key, {key: "invalid"})
    rules = base.with_values(data["rules"]) if data.get("rules") else base
    tally = Tally(
        method=data["method"],
        round=data["round"],
        registered=data["registered"],
        ballots_cast=data["ballots_cast"],
        invalid_ballots=data["invalid_ballots"],
        seats=data["seats"],
        votes=dict(data["votes"]),
        ballots_issued=data.get("ballots_issued"),
    )
    check(tally, rules)
    return replace(tally, votes={name.strip(): votes for name, votes in tally.votes.items()}), rules


def check(tally: Tally, rules: Rules = DEFAULTS) -> None:
    """Refuse figures no ballot can produce (InvalidInput naming the field). Returning more
    ballots than were issued is not refused here: the law makes that vote void, so it is a
    result (`count` → INVALID_ISSUED)."""
    if tally.method not in METHODS:
        raise InvalidInput(
            _("选举方式“%(value)s”无效，可选：%(allowed)s")
            % {"value": tally.method, "allowed": ", ".join(METHODS)},
            {"method": "invalid_choice"},
        )
    if _number(tally.round, "round", 1) not in ROUNDS:
        raise InvalidInput(_("轮次须为 1 或 2"), {"round": "invalid_choice"})
    _number(tally.registered, "registered", 1)
    _number(tally.ballots_cast, "ballots_cast", 0)
    _number(tally.invalid_ballots, "invalid_ballots", 0)
    _number(tally.seats, "seats", 1)
    if tally.ballots_issued is not None:
        _number(tally.ballots_issued, "ballots_issued", 0)
    if tally.seats > rules.seats_max:
        raise InvalidInput(
            _("应选名额 %(seats)d 超过委员会成员上限 %(max)d")
            % {"seats": tally.seats, "max": rules.seats_max},
            {"seats": "out_of_range"},
        )
    if tally.ballots_cast > tally.registered:
        raise InvalidInput(
            _("参加投票人数 %(cast)d 多于登记人数 %(registered)d")
            % {"cast": tally.ballots_cast, "registered": tally.registered},
            {"ballots_cast": "invalid"},
        )
    if tally.invalid_ballots > tally.ballots_cast:
        raise InvalidInput(
            _("无效票 %(invalid)d 张多于收回选票 %(cast)d 张")
            % {"invalid": tally.invalid_ballots, "cast": tally.ballots_cast},
            {"invalid_ballots": "invalid"},
        )
    _check_votes(tally)


def _number(value: Any, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("%s 须为整数") % LABELS[field], {field: "invalid"})
    if value < minimum:
        raise InvalidInput(
            _("%(label)s 不能小于 %(min)d") % {"label": LABELS[field], "min": minimum},
            {field: "out_of_range"},
        )
    return value


def _check_votes(tally: Tally) -> None:
    if not tally.votes:
        raise InvalidInput(_("没有候选人的得票"), {"votes": "required"})
    valid = tally.ballots_cast - tally.invalid_ballots
    seen: set[str] = set()
    for raw, votes in tally.votes.items():
        name = raw.strip() if isinstance(raw, str) else ""
        if not name:
            raise InvalidInput(_("候选人姓名不能为空"), {"votes": "invalid"})
        field = f"votes.{name}"
        if name in seen:
            raise InvalidInput(_("候选人“%s”重复") % name, {field: "duplicate"})
        seen.add(name)
        if isinstance(votes, bool) or not isinstance(votes, int) or votes < 0:
            raise InvalidInput(_("%s 的得票须为不小于 0 的整数") % name, {field: "invalid"})
        if votes > valid:
            raise InvalidInput(
                _("%(name)s 得票 %(votes)d，多于有效票 %(valid)d 张")
                % {"name": name, "votes": votes, "valid": valid},
                {field: "out_of_range"},
            )
    # Each valid ballot names at most as many people as there are seats.
    total = sum(tally.votes.values())
    if total > valid * tally.seats:
        raise InvalidInput(
            _("得票总数 %(total)d 多于有效票 %(valid)d 张 × 应选名额 %(seats)d")
            % {"total": total, "valid": valid, "seats": tally.seats},
            {"votes": "invalid"},
        )


Candidate = tuple[str, int]  # (name, votes)


def count(tally: Tally, rules: Rules = DEFAULTS) -> Outcome:
    """The result of one ballot under `rules` (checked first: InvalidInput naming the field)."""
    check(tally, rules)
    turnout = Fraction(tally.ballots_cast, tally.registered)
    figures = {
        "cast": tally.ballots_cast,
        "registered": tally.registered,
        "electorate": ELECTORATE[tally.method],
        "quorum": _share(rules.turnout_quorum),
    }
    if tally.ballots_issued is not None and tally.ballots_cast > tally.ballots_issued:
        reason = _("收回选票 %(cast)d 张，多于发出选票 %(issued)d 张，选举无效") % {
            "cast": tally.ballots_cast,
            "issued": tally.ballots_issued,
        }
        return Outcome(False, turnout, (), tally.seats, (), reason, INVALID_ISSUED)
    if not tally.ballots_cast > tally.registered * rules.turnout_quorum:
        reason = (
            _("参加投票 %(cast)d 人，未超过%(electorate)s %(registered)d 人的%(quorum)s，选举无效") % figures
        )
        return Outcome(False, turnout, (), tally.seats, (), reason, INVALID_TURNOUT)
    clauses = [
        _("参加投票 %(cast)d 人，超过%(electorate)s %(registered)d 人的%(quorum)s，选举有效") % figures
    ]
    # sorted() is stable: equal votes keep the order the tally gave.
    ranking = sorted(((name.strip(), votes) for name, votes in tally.votes.items()), key=lambda c: -c[1])
    counted = _first_round if tally.round == 1 else _second_round
    elected, vacancies, second_round, code = counted(tally, rules, ranking, clauses)
    return Outcome(
        valid=True,
        turnout=turnout,
        elected=_names(elected),
        vacancies=vacancies,
        second_round=_names(second_round),
        reason=pgettext("clause separator", "；").join(clauses),
        code=code,
    )


Result = tuple[list[Candidate], int, list[Candidate], str]  # elected, vacancies, second round, code


def _first_round(tally: Tally, rules: Rules, ranking: list[Candidate], clauses: list[str]) -> Result:
    bar = {"cast": tally.ballots_cast, "share": _share(rules.elected_share), "seats": tally.seats}
    passing = [c for c in ranking if c[1] > tally.ballots_cast * rules.elected_share]
    if not passing:
        clauses.append(_("无人得票超过投票数 %(cast)d 的%(share)s") % bar)
    elif len(passing) <= tally.seats:
        clauses.append(
            _("%(names)s得票超过投票数 %(cast)d 的%(share)s，当选") % {**bar, "names": _listed(passing)}
        )
    else:
        clauses.append(
            _("得票超过投票数 %(cast)d 的%(share)s的候选人有 %(count)d 名，多于应选名额 %(seats)d 名")
            % {**bar, "count": len(passing)}
        )
        return _most_votes(passing, tally.seats, clauses)
    vacancies = tally.seats - len(passing)
    if not vacancies:
        return passing, 0, [], ELECTED
    unelected = ranking[len(passing) :]
    wanted = vacancies + rules.contest_margin
    # 差额: the best-placed unelected, `wanted` of them, plus anyone tied with the last.
    cut = unelected[wanted - 1][1] if len(unelected) > wanted else -1
    second_round = [c for c in unelected if c[1] >= cut]
    if second_round:
        clauses.append(
            _("尚缺 %(vacancies)d 名，由未当选的得票较多者%(names)s参加另行选举")
            % {"vacancies": vacancies, "names": _listed(second_round, votes=False)}
        )
    else:
        clauses.append(
            _("尚缺 %(vacancies)d 名，没有未当选的候选人可参加另行选举") % {"vacancies": vacancies}
        )
    return passing, vacancies, second_round, VACANCIES


def _second_round(tally: Tally, rules: Rules, ranking: list[Candidate], clauses: list[str]) -> Result:
    bar = {"cast": tally.ballots_cast, "share": _share(rules.second_round_share), "seats": tally.seats}
    # Nobody is elected without a vote, even when an override sets the share to 0.
    reaching = [c for c in ranking if c[1] >= tally.ballots_cast * rules.second_round_share and c[1] > 0]
    if len(reaching) > tally.seats:
        clauses.append(
            _("得票不少于投票数 %(cast)d 的%(share)s的候选人有 %(count)d 名，多于应选名额 %(seats)d 名")
            % {**bar, "count": len(reaching)}
        )
        return _most_votes(reaching, tally.seats, clauses)
    if reaching:
        clauses.append(
            _("%(names)s得票不少于投票数 %(cast)d 的%(share)s，当选") % {**bar, "names": _listed(reaching)}
        )
    else:
        clauses.append(_("无人得票达到投票数 %(cast)d 的%(share)s") % bar)
    vacancies = tally.seats - len(reaching)
    if not vacancies:
        return reaching, 0, [], ELECTED
    clauses.append(_("%(vacancies)d 个名额无人当选，暂缺，留待以后补选") % {"vacancies": vacancies})
    return reaching, vacancies, [], UNFILLED


def _most_votes(qualified: list[Candidate], seats: int, clauses: list[str]) -> Result:
    """More qualified than seats: the most votes win; a tie straddling the last seat leaves the
    seats from the tie on to a run-off between the tied."""
    last = qualified[seats - 1][1]
    if qualified[seats][1] != last:
        elected = qualified[:seats]
        clauses.append(_("按得票多少，%(names)s当选") % {"names": _listed(elected)})
        return elected, 0, [], ELECTED
    elected = [c for c in qualified if c[1] > last]
    tied = [c for c in qualified if c[1] == last]
    if elected:
        clauses.append(_("%(names)s当选") % {"names": _listed(elected)})
    clauses.append(
        _("%(names)s得票相等（各 %(votes)d 票），须就剩余 %(left)d 个名额在其中再次投票")
        % {"names": _listed(tied, votes=False), "votes": last, "left": seats - len(elected)}
    )
    return elected, seats - len(elected), tied, RUNOFF


def _names(candidates: list[Candidate]) -> tuple[str, ...]:
    return tuple(name for name, _votes in candidates)


def _listed(candidates: list[Candidate], *, votes: bool = True) -> str:
    if votes:
        shown = [_("%(name)s（%(votes)d 票）") % {"name": name, "votes": n} for name, n in candidates]
    else:
        shown = list(_names(candidates))
    return pgettext("list separator", "、").join(shown)


def _share(share: Fraction) -> str:
    """A share as the law words it (半数, 三分之一), else as n/d."""
    words = {Fraction(1, 2): _("半数"), Fraction(1, 3): _("三分之一"), Fraction(2, 3): _("三分之二")}
    return words.get(share, f"{share.numerator}/{share.denominator}")
