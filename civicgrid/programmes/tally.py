"""The tally of a democratic evaluation from its counters (pure: no database). A subject's
satisfaction rate is (满意 + 基本满意) / (满意 + 基本满意 + 不满意): the 不了解 marks are left out,
so a subject no one knew has no rate, and it passes when the rate reaches the street's line
(profile `programmes.evaluation_pass_percent`)."""

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .choices import Mark


def share(part: int, whole: int) -> float | None:
    """part / whole to four places (None of nothing)."""
    if not whole:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def rate(good: int, fair: int, poor: int) -> float | None:
    return share(good + fair, good + fair + poor)


def tally(
    subjects: Iterable[tuple[int, str]],
    counts: Mapping[int, Mapping[str, int]],
    *,
    ballots: int,
    voters: int,
    pass_percent: int,
) -> dict[str, Any]:
    """`subjects` in their ballot order, `counts` {subject id: {mark: n}} summed over the
    sources. The subjects come ranked by rate (those without one last), ties in ballot order."""
    rows: list[tuple[int, float | None, dict[str, Any]]] = []
    for order, (pk, name) in enumerate(subjects):
        marks = {mark: int(counts.get(pk, {}).get(mark, 0)) for mark in Mark.values}
        known = rate(marks[Mark.GOOD], marks[Mark.FAIR], marks[Mark.POOR])
        passed = known is not None and Decimal(str(known)) * 100 >= pass_percent
        rows.append((order, known, {"id": pk, "name": name, **marks, "rate": known, "passed": passed}))
    rows.sort(key=lambda item: (item[1] is None, -(item[1] or 0), item[0]))
    return {
        "ballots": ballots,
        "voters": voters,
        "turnout": share(ballots, voters),
        "pass_percent": pass_percent,
        "subjects": [row for _order, _rate, row in rows],
    }
