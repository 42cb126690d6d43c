"""The count (counting.py) on hand-made ballots: each figure sits on a boundary of the rule it
tests, so moving a threshold by one vote or making a comparison non-strict fails a test."""

import json
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from civicgrid.core.errors import InvalidInput
from civicgrid.elections import counting
from civicgrid.elections.counting import Outcome, Tally, count, tally_from_json
from civicgrid.elections.rules import DEFAULTS


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def tally(votes: dict[str, int], **figures: Any) -> Tally:
    """A round-1 direct election of 5 seats with 1000 registered and 600 cast unless told."""
    values: dict[str, Any] = {
        "method": "direct",
        "round": 1,
        "registered": 1000,
        "ballots_cast": 600,
        "invalid_ballots": 0,
        "seats": 5,
    }
    return Tally(**{**values, **figures, "votes": votes})


def second(votes: dict[str, int], **figures: Any) -> Tally:
    return tally(votes, **{"round": 2, "seats": 1, **figures})


def shape(outcome: Outcome) -> tuple[list[str], int, list[str], str]:
    return list(outcome.elected), outcome.vacancies, list(outcome.second_round), outcome.code


# --- validity: more than half of the registered must vote ------------------------------------


@pytest.mark.parametrize(
    ("registered", "cast", "valid"),
    [
        (1000, 500, False),  # exactly half is not more than half
        (1000, 501, True),
        (1001, 500, False),
        (1001, 501, True),  # 501 > 500.5
        (999, 499, False),  # 499 < 499.5
        (999, 500, True),
        (1, 1, True),
        (2, 1, False),
    ],
)
def test_turnout_must_exceed_half_of_the_registered(registered, cast, valid):
    outcome = count(tally({"甲": cast}, registered=registered, ballots_cast=cast, seats=1))
    assert outcome.valid is valid
    assert outcome.turnout == Fraction(cast, registered)
    if not valid:
        assert shape(outcome) == ([], 1, [], counting.INVALID_TURNOUT)


def test_an_invalid_vote_elects_nobody_and_says_why():
    outcome = count(tally({"甲": 600, "乙": 600}, registered=1300, ballots_cast=612, seats=5))
    assert shape(outcome) == ([], 5, [], "invalid_turnout")
    assert outcome.reason == "参加投票 612 人，未超过登记选民 1300 人的半数，选举无效"


@pytest.mark.parametrize(
    ("method", "noun"), [("direct", "登记选民"), ("household", "户代表"), ("representative", "居民代表")]
)
def test_the_method_names_who_is_registered(method, noun):
    invalid = count(tally({"甲": 50}, method=method, registered=120, ballots_cast=60, seats=1))
    assert invalid.reason == f"参加投票 60 人，未超过{noun} 120 人的半数，选举无效"
    valid = count(tally({"甲": 50}, method=method, registered=120, ballots_cast=61, seats=1))
    assert valid.reason.startswith(f"参加投票 61 人，超过{noun} 120 人的半数，选举有效；")


def test_turnout_is_also_required_in_the_second_round():
    assert count(second({"甲": 400}, ballots_cast=500)).code == "invalid_turnout"
    assert count(second({"甲": 400}, ballots_cast=501)).elected == ("甲",)


def test_more_ballots_returned_than_issued_voids_the_vote():
    outcome = count(tally({"甲": 590}, ballots_cast=601, ballots_issued=600, seats=1))
    assert not outcome.valid
    assert shape(outcome) == ([], 1, [], "invalid_issued")
    assert outcome.reason == "收回选票 601 张，多于发出选票 600 张，选举无效"
    # As many returned as issued is fine.
    assert count(tally({"甲": 590}, ballots_cast=600, ballots_issued=600, seats=1)).elected == ("甲",)


# --- round 1: more than half of the ballots cast ------------------------------------------------


def test_a_candidate_needs_more_than_half_of_the_ballots_cast():
    outcome = count(tally({"甲": 301, "乙": 300}, seats=2))
    assert shape(outcome) == (["甲"], 1, ["乙"], "vacancies")


def test_invalid_ballots_count_in_the_base():
    # 300 of 500 valid ballots is a majority of them, but not of the 600 cast.
    outcome = count(tally({"甲": 301, "乙": 300}, invalid_ballots=100, seats=2))
    assert outcome.elected == ("甲",)
    assert "乙" in outcome.second_round


def test_all_seats_filled():
    outcome = count(tally({"丙": 320, "甲": 500, "乙": 410, "丁": 302, "戊": 301, "己": 300}))
    assert shape(outcome) == (["甲", "乙", "丙", "丁", "戊"], 0, [], "elected")
    assert outcome.reason == (
        "参加投票 600 人，超过登记选民 1000 人的半数，选举有效；"
        "甲（500 票）、乙（410 票）、丙（320 票）、丁（302 票）、戊（301 票）得票超过投票数 600 的半数，当选"
    )


def test_more_passing_than_seats_the_most_votes_win():
    votes = {"甲": 500, "乙": 480, "丙": 470, "丁": 460, "戊": 450, "己": 449, "庚": 401}
    outcome = count(tally(votes, ballots_cast=800))
    assert shape(outcome) == (["甲", "乙", "丙", "丁", "戊"], 0, [], "elected")
    assert (
        "得票超过投票数 800 的半数的候选人有 7 名，多于应选名额 5 名；按得票多少，甲（500 票）"
        in outcome.reason
    )


def test_a_tie_at_the_last_seat_goes_to_a_runoff_between_the_tied_only():
    # 己 is listed before 戊: the tied keep the order given.
    votes = {"甲": 500, "乙": 480, "丙": 470, "丁": 460, "己": 450, "戊": 450, "庚": 401}
    outcome = count(tally(votes, ballots_cast=800))
    assert shape(outcome) == (["甲", "乙", "丙", "丁"], 1, ["己", "戊"], "runoff")
    assert outcome.valid
    assert outcome.reason.endswith(
        "甲（500 票）、乙（480 票）、丙（470 票）、丁（460 票）当选；"
        "己、戊得票相等（各 450 票），须就剩余 1 个名额在其中再次投票"
    )


def test_a_tie_over_several_seats():
    rules = DEFAULTS.with_values({"elected_share": "1/4"})
    outcome = count(tally({"甲": 300, "乙": 250, "丙": 250, "丁": 250}, seats=2), rules)
    assert shape(outcome) == (["甲"], 1, ["乙", "丙", "丁"], "runoff")


def test_a_tie_for_the_only_seat_elects_nobody_yet():
    rules = DEFAULTS.with_values({"elected_share": "1/3"})
    outcome = count(tally({"甲": 250, "乙": 250, "丙": 100}, seats=1), rules)
    assert shape(outcome) == ([], 1, ["甲", "乙"], "runoff")
    assert "当选" not in outcome.reason


@pytest.mark.parametrize(
    "votes",
    [
        {"甲": 500, "乙": 480, "丙": 480, "丁": 460, "戊": 450, "己": 400},  # tie above the last seat
        {"甲": 500, "乙": 480, "丙": 470, "丁": 450, "戊": 450, "己": 400},  # tie on the last two seats
        {"甲": 500, "乙": 480, "丙": 470, "丁": 460, "戊": 450, "己": 300},  # tie below the bar
    ],
)
def test_a_tie_that_does_not_straddle_the_last_seat_elects_both(votes):
    outcome = count(tally(votes))
    assert shape(outcome) == (["甲", "乙", "丙", "丁", "戊"], 0, [], "elected")


# --- round 1 leaves seats: 另行选举 among the best-placed unelected ---------------------------


def test_vacancies_go_to_a_second_round_with_the_margin():
    votes = {"甲": 500, "乙": 400, "丙": 301, "丁": 300, "戊": 250, "己": 240, "庚": 100}
    outcome = count(tally(votes))
    # 2 seats left + margin 1: the next three.
    assert shape(outcome) == (["甲", "乙", "丙"], 2, ["丁", "戊", "己"], "vacancies")
    assert outcome.reason.endswith("尚缺 2 名，由未当选的得票较多者丁、戊、己参加另行选举")


def test_everyone_tied_at_the_cut_stands_in_the_second_round():
    votes = {"甲": 500, "乙": 400, "丙": 301, "丁": 300, "戊": 240, "己": 240, "庚": 240, "辛": 100}
    outcome = count(tally(votes))
    assert shape(outcome) == (["甲", "乙", "丙"], 2, ["丁", "戊", "己", "庚"], "vacancies")
    votes = {"甲": 500, "乙": 400, "丙": 301, "丁": 300, "戊": 250, "己": 240, "庚": 240, "辛": 239}
    assert count(tally(votes)).second_round == ("丁", "戊", "己", "庚")


def test_fewer_unelected_than_wanted_all_stand_even_without_votes():
    outcome = count(tally({"甲": 500, "乙": 400, "丙": 350, "丁": 301, "戊": 0}))
    assert shape(outcome) == (["甲", "乙", "丙", "丁"], 1, ["戊"], "vacancies")


def test_no_unelected_candidate_left():
    outcome = count(tally({"甲": 500, "乙": 400, "丙": 350, "丁": 301}))
    assert shape(outcome) == (["甲", "乙", "丙", "丁"], 1, [], "vacancies")
    assert outcome.reason.endswith("尚缺 1 名，没有未当选的候选人可参加另行选举")


def test_nobody_passes():
    outcome = count(tally({"甲": 300, "乙": 200, "丙": 100}, seats=2))
    assert shape(outcome) == ([], 2, ["甲", "乙", "丙"], "vacancies")
    assert "无人得票超过投票数 600 的半数" in outcome.reason


# --- round 2 (另行选举): the most votes, provided at least one third --------------------------------


@pytest.mark.parametrize(
    ("cast", "votes", "elected"), [(600, 199, False), (600, 200, True), (601, 200, False)]
)
def test_second_round_needs_at_least_one_third(cast, votes, elected):
    outcome = count(second({"甲": votes, "乙": 150}, ballots_cast=cast))
    if elected:
        assert shape(outcome) == (["甲"], 0, [], "elected")
        assert outcome.reason.endswith(f"甲（{votes} 票）得票不少于投票数 {cast} 的三分之一，当选")
    else:
        assert shape(outcome) == ([], 1, [], "unfilled")


def test_second_round_most_votes_win():
    outcome = count(second({"丙": 220, "甲": 300, "乙": 250}, seats=2))
    assert shape(outcome) == (["甲", "乙"], 0, [], "elected")
    assert "得票不少于投票数 600 的三分之一的候选人有 3 名，多于应选名额 2 名" in outcome.reason


def test_a_tie_in_the_second_round_goes_to_a_runoff():
    outcome = count(second({"甲": 250, "乙": 250, "丙": 100}))
    assert shape(outcome) == ([], 1, ["甲", "乙"], "runoff")
    outcome = count(second({"甲": 260, "乙": 230, "丙": 230}, seats=2))
    assert shape(outcome) == (["甲"], 1, ["乙", "丙"], "runoff")


def test_seats_nobody_fills_stay_vacant():
    outcome = count(second({"甲": 300, "乙": 150, "丙": 150}, seats=2))
    # 乙 and 丙 tie below the bar: no run-off, the seat stays vacant.
    assert shape(outcome) == (["甲"], 1, [], "unfilled")
    outcome = count(second({"甲": 199, "乙": 198}, seats=2))
    assert shape(outcome) == ([], 2, [], "unfilled")
    assert outcome.reason.endswith("无人得票达到投票数 600 的三分之一；2 个名额无人当选，暂缺，留待以后补选")


def test_nobody_is_elected_without_a_vote():
    rules = DEFAULTS.with_values({"second_round_share": "0"})
    outcome = count(second({"甲": 10, "乙": 0}, seats=2), rules)
    assert shape(outcome) == (["甲"], 1, [], "unfilled")


# --- rule overrides ---------------------------------------------------------------------------


def test_turnout_quorum_override():
    rules = DEFAULTS.with_values({"turnout_quorum": "2/3"})
    invalid = count(tally({"甲": 500}, registered=900, ballots_cast=600, seats=1), rules)
    assert invalid.code == "invalid_turnout"
    assert invalid.reason == "参加投票 600 人，未超过登记选民 900 人的三分之二，选举无效"
    assert count(tally({"甲": 500}, registered=900, ballots_cast=601, seats=1), rules).valid


def test_margin_override():
    rules = DEFAULTS.with_values({"contest_margin": 2})
    votes = {"甲": 500, "乙": 400, "丙": 301, "丁": 300, "戊": 250, "己": 240, "庚": 100}
    assert count(tally(votes), rules).second_round == ("丁", "戊", "己", "庚")
    rules = DEFAULTS.with_values({"contest_margin": 0})
    assert count(tally(votes), rules).second_round == ("丁", "戊")


def test_share_overrides_are_named_as_fractions():
    rules = DEFAULTS.with_values({"elected_share": "3/5", "second_round_share": "0.25"})
    outcome = count(tally({"甲": 361, "乙": 360}, seats=2), rules)
    assert shape(outcome) == (["甲"], 1, ["乙"], "vacancies")
    assert "甲（361 票）得票超过投票数 600 的3/5，当选" in outcome.reason
    assert count(second({"甲": 150}), rules).elected == ("甲",)
    assert count(second({"甲": 149}), rules).code == "unfilled"


# --- JSON in and out ----------------------------------------------------------------------------

BASE = {
    "method": "direct",
    "round": 1,
    "registered": 1000,
    "ballots_cast": 600,
    "invalid_ballots": 10,
    "seats": 2,
    "votes": {"甲": 400, "乙": 350, "丙": 200},
}


def test_tally_from_json_with_rules():
    tally_, rules = tally_from_json(
        {**BASE, "votes": {" 甲 ": 400, "乙": 350}, "rules": {"contest_margin": 2}, "ballots_issued": 620}
    )
    assert tally_ == Tally("direct", 1, 1000, 600, 10, 2, {"甲": 400, "乙": 350}, 620)
    assert rules == DEFAULTS.with_values({"contest_margin": 2})
    assert count(tally_, rules).elected == ("甲", "乙")


def test_as_json_shape():
    outcome = count(*tally_from_json({**BASE, "registered": 900, "votes": {"甲": 400, "乙": 250}}))
    assert outcome.as_json() == {
        "valid": True,
        "turnout": 0.6667,
        "elected": ["甲"],
        "vacancies": 1,
        "second_round": ["乙"],
        "reason": outcome.reason,
    }


def changed(**values: Any) -> dict[str, Any]:
    data = {**BASE, **values}
    return {key: value for key, value in data.items() if value is not ...}


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        (["not", "an", "object"], "tally", "invalid"),
        (changed(ballot_cast=600), "ballot_cast", "unknown"),
        (changed(seats=...), "seats", "required"),
        (changed(method="postal"), "method", "invalid_choice"),
        (changed(method=None), "method", "invalid_choice"),
        (changed(round=3), "round", "invalid_choice"),
        (changed(round=0), "round", "out_of_range"),
        (changed(round="1"), "round", "invalid"),
        (changed(registered=0), "registered", "out_of_range"),
        (changed(registered=1000.0), "registered", "invalid"),
        (changed(ballots_cast=-1), "ballots_cast", "out_of_range"),
        (changed(ballots_cast=True), "ballots_cast", "invalid"),
        (changed(ballots_cast=1001), "ballots_cast", "invalid"),
        (changed(invalid_ballots=601), "invalid_ballots", "invalid"),
        (changed(invalid_ballots="10"), "invalid_ballots", "invalid"),
        (changed(seats=0), "seats", "out_of_range"),
        (changed(seats=10), "seats", "out_of_range"),  # more than seats_max
        (changed(ballots_issued=-1), "ballots_issued", "out_of_range"),
        (changed(votes=[["甲", 1]]), "votes", "invalid"),
        (changed(votes={}), "votes", "required"),
        (changed(votes={"  ": 3}), "votes", "invalid"),
        (changed(votes={"甲": 3, " 甲": 4}), "votes.甲", "duplicate"),
        (changed(votes={"甲": -1}), "votes.甲", "invalid"),
        (changed(votes={"甲": 3.0}), "votes.甲", "invalid"),
        (changed(votes={"甲": 591}), "votes.甲", "out_of_range"),  # more than the 590 valid ballots
        (changed(votes={"甲": 590, "乙": 590, "丙": 1}), "votes", "invalid"),  # > 590 × 2 marks
        (changed(rules=[]), "rules", "invalid"),
        (changed(rules={"quorum": "1/2"}), "rules.quorum", "unknown"),
        (changed(rules={"turnout_quorum": "half"}), "rules.turnout_quorum", "invalid"),
        (
            changed(rules={"seats_min": 1, "seats_max": 1}),
            "seats",
            "out_of_range",
        ),  # the override applies to the check
    ],
)
def test_bad_input_names_the_field(data, field, code):
    with pytest.raises(InvalidInput) as refused:
        tally_from_json(data)
    assert refused.value.fields == {field: code}
    assert refused.value.message


def test_the_limits_themselves_are_accepted():
    tally_, rules = tally_from_json(changed(seats=9, votes={"甲": 590, "乙": 590}, ballots_issued=600))
    assert count(tally_, rules).elected == ("甲", "乙")


def test_count_checks_a_tally_built_in_code():
    with pytest.raises(InvalidInput) as refused:
        count(tally({"甲": 700}))
    assert refused.value.fields == {"votes.甲": "out_of_range"}


def test_the_worked_examples_of_the_docs_hold():
    # docs/elections-counting.md shows each example as an input line and the output line.
    lines = (
        (Path(settings.BASE_DIR) / "docs" / "elections-counting.md").read_text(encoding="utf-8").splitlines()
    )
    examples = [(json.loads(a), json.loads(b)) for a, b in pairwise(lines) if a.startswith('{"method"')]
    assert len(examples) == 6
    for data, shown in examples:
        assert count(*tally_from_json(data)).as_json() == shown
