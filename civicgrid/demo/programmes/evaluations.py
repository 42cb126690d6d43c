"""The demo's democratic evaluation (seed 003): at the street's session, the representatives
evaluate the community offices and a few of the street's units — codes issued the week before,
about 80 % vote on their phones during the meeting (mostly 满意), the tellers enter a batch of
paper ballots, then the desk closes (the tally) and publishes it the next day."""

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext

from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.programmes import ballot_codes
from civicgrid.programmes.actions.evaluations import (
    EVALUATION_FRAME,
    cast_ballot,
    create_evaluation,
    issue_codes,
    record_paper_ballots,
)
from civicgrid.programmes.choices import EvaluationAction, Mark

if TYPE_CHECKING:
    from . import StreetPlan

OFFICES = ("社区管理办", "社区服务办", "社区平安办", "社区自治办")
UNITS = 3  # of the street's units, besides the offices
WEB_SHARE = 0.8
# Each subject's leaning: (满意, 基本满意, 不满意, 不了解) weights; one office does less well.
LEANINGS = ((72, 20, 4, 4), (60, 28, 8, 4), (45, 30, 20, 5), (55, 25, 5, 15))


def load(plan: "StreetPlan") -> int:
    from . import at

    if plan.session is None or not plan.representatives:
        return 0
    admin, rng = plan.users[Role.ADMIN], plan.rng("evaluations")
    held = plan.session.held_on
    subjects: list[dict[str, Any]] = [{"name": gettext(name)} for name in OFFICES]
    subjects += [{"name": unit.name, "unit": unit} for unit in plan.units[:UNITS]]
    with clock.at(at(held - timedelta(days=7), 9)):
        evaluation = create_evaluation(
            admin,
            session=plan.session,
            title=gettext("街道职能科室及驻区单位民主测评"),
            subjects=subjects,
        )
        issue_codes(admin, evaluation, plan.representatives)
    with clock.at(at(held, 9)):
        EVALUATION_FRAME.run(
            evaluation.pk, EvaluationAction.OPEN, admin, {"note": gettext("代表会议现场测评")}
        )
    rows = list(evaluation.subjects.order_by("order"))
    leaning = {s.pk: LEANINGS[i % len(LEANINGS)] for i, s in enumerate(rows)}
    voters = list(evaluation.voters.order_by("pk"))
    rng.shuffle(voters)
    web = round(len(voters) * WEB_SHARE)
    with clock.at(at(held, 10)):
        for voter in voters[:web]:
            marks = {s.pk: rng.choices(Mark.values, weights=leaning[s.pk])[0] for s in rows}
            cast_ballot(ballot_codes.derive(evaluation.pk, voter.representative_id), marks)
    paper = (len(voters) - web) // 2
    if paper:
        counts = {}
        for subject in rows:
            tally = dict.fromkeys(Mark.values, 0)
            for _ in range(paper):
                tally[rng.choices(Mark.values, weights=leaning[subject.pk])[0]] += 1
            counts[subject.pk] = tally
        with clock.at(at(held, 11)):
            record_paper_ballots(admin, evaluation, ballots=paper, counts=counts)
    with clock.at(at(held, 12)):
        EVALUATION_FRAME.run(evaluation.pk, EvaluationAction.CLOSE, admin, {"note": gettext("计票完毕")})
    with clock.at(at(held + timedelta(days=1), 9)):
        EVALUATION_FRAME.run(evaluation.pk, EvaluationAction.PUBLISH, admin, {})
    return 1 + len(rows) + len(voters) + evaluation.counts.count()
